"""Report stage (rules figures.smk, paper.smk, site.smk, manifest.smk): figures, paper, listening page."""

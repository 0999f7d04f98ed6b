"""electone-rave: the Python package the Snakemake rules call.

One subpackage per stage, named as the rule files and the CLI's modules name it: `corpus`,
`preprocess`, `training`, `export`, `evaluation`, `report`, and `workflow` (the config and what
each job depends on); `errors`, `fileio`, `provenance` and `rave_launcher` are shared. The command line in
:mod:`electone_rave.cli` is what rules and users invoke.
"""

__version__ = "0.1.0"

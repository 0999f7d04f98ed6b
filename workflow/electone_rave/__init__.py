"""electone-rave: the Python package the Snakemake rules call.

Each module has one responsibility (corpus synthesis, preprocessing, training, export, ...);
the command line in :mod:`electone_rave.cli` is what rules and users invoke.
"""

__version__ = "0.1.0"

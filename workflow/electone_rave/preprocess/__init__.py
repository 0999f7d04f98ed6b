"""Preprocess stage (rule preprocess.smk): a corpus' training files into RAVE's database."""

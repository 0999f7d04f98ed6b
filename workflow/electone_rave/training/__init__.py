"""Training stage (rules train.smk, prior.smk): `rave train` and `rave train_prior`, runs and costs."""

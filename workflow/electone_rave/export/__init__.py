"""Export stage (rule export.smk): runs to streaming TorchScript for nn~."""

"""What an export can be asked for, shared by the config check, the CLI and the export itself
(kept apart from rave_export.py so that checking a config does not depend on the export's code)."""

NN_TILDE_METHODS = ("encode", "decode", "forward")  # what nn~ calls; every export must answer them
MATMUL_WEIGHTS = ("float32", "bfloat16")  # the matrix-product layers' weight types (matmul_convs.WEIGHT_DTYPES)

# The tolerances the matrix-product export is tested to (tests/test_matmul_convs.py) and the paper
# states (paper_numbers): float32 weights give stock `rave export`'s outputs within STOCK_TOLERANCE;
# bfloat16 weights keep a whole export's outputs at least BFLOAT16_MIN_SNR_DB above their difference
# to stock's.
STOCK_TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}
BFLOAT16_MIN_SNR_DB = 40.0


def matmul_weights_apply(streaming: bool, matmul_convolutions: bool, matmul_weights: str) -> bool:
    """A weight type other than float32 changes only the matrix-product layers of a streaming export."""
    return matmul_weights == "float32" or (streaming and matmul_convolutions)

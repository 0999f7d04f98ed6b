"""Evaluation of trained models: audio metrics, reconstructions, prior generations, real-time factor."""

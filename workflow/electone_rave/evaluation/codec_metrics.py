"""The reconstruction measures the neural-codec literature reports beside ours, with DAC's settings
(descript-audio-codec's training config and evaluation), computed offline from maintained packages:

- `si_sdr_db`: scale-invariant signal-to-distortion ratio in dB (torchmetrics), mean removed as
  DAC's SISDRLoss does. Higher is better. It needs sample alignment, which a RAVE reconstruction
  keeps only roughly (RAVE does not model phase), so expect low or negative values.
- `mel_distance`: DAC's multi-scale mel distance, the sum over seven scales (STFT windows of 32 to
  2048 samples, hop a quarter of the window, 5 to 320 mel bands) of the mean |log10 difference| of
  mel magnitudes clamped at 1e-5 (DAC's `MelSpectrogramLoss` with its configured mag_weight 0, pow
  1). The STFT is torch's with a periodic square-root Hann window and the mel filters are librosa's;
  DAC itself computes them with its audiotools library, which is not installed here, so the values
  follow DAC's settings rather than being checked against DAC's code. Lower is better.
- `visqol_moslqo`: ViSQOL v3's audio mode (Google's ViSQOL; `visqol-python`, a pure-Python port that
  matches the C++ release on its conformance tests and ships its SVR model, so nothing is
  downloaded): MOS-LQO from 1 to 5, higher is better. Both signals are resampled to 48 kHz (soxr,
  through librosa), the rate its audio mode is defined at; it aligns them itself.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# descript-audio-codec conf/base.yml: MelSpectrogramLoss
DAC_MEL_WINDOWS = (32, 64, 128, 256, 512, 1024, 2048)
DAC_MEL_BANDS = (5, 10, 20, 40, 80, 160, 320)
DAC_CLAMP_EPS = 1e-5
VISQOL_RATE = 48000  # ViSQOL's audio mode


def _aligned(ref: np.ndarray, est: np.ndarray):
    import torch

    n = min(len(ref), len(est))
    return (torch.from_numpy(np.asarray(ref[:n], dtype=np.float32)),
            torch.from_numpy(np.asarray(est[:n], dtype=np.float32)))


def si_sdr_db(ref: np.ndarray, est: np.ndarray) -> float:
    from torchmetrics.functional.audio import scale_invariant_signal_distortion_ratio

    ref, est = _aligned(ref, est)
    return float(scale_invariant_signal_distortion_ratio(est, ref, zero_mean=True))


def mel_distance(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    import librosa
    import torch

    ref, est = _aligned(ref, est)
    total = 0.0
    for window, bands in zip(DAC_MEL_WINDOWS, DAC_MEL_BANDS):
        filters = torch.from_numpy(librosa.filters.mel(sr=sample_rate, n_fft=window, n_mels=bands)).float()
        stft_window = torch.hann_window(window).sqrt()

        def log_mel(x: torch.Tensor) -> torch.Tensor:
            magnitude = torch.stft(x, window, hop_length=window // 4, window=stft_window, center=True,
                                   pad_mode="reflect", return_complex=True).abs()
            return torch.log10((filters @ magnitude).clamp(min=DAC_CLAMP_EPS))

        with torch.no_grad():
            total += float((log_mel(ref) - log_mel(est)).abs().mean())
    return total


@lru_cache(maxsize=1)
def _visqol_audio_mode():
    from visqol import VisqolApi

    api = VisqolApi()
    api.create(mode="audio")
    return api


def visqol_moslqo(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """ViSQOL's MOS-LQO; 1.0, its lowest, for a silent estimate (which its level matching cannot scale)."""
    import librosa

    if not np.any(est):
        return 1.0

    ref, est = (librosa.resample(np.asarray(x, dtype=np.float64), orig_sr=sample_rate, target_sr=VISQOL_RATE,
                                 res_type="soxr_hq") for x in (ref, est))
    return float(_visqol_audio_mode().measure_from_arrays(ref, est, VISQOL_RATE).moslqo)


def codec_metrics(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> dict[str, float]:
    return {"mel_distance": mel_distance(ref, est, sample_rate), "si_sdr_db": si_sdr_db(ref, est),
            "visqol_moslqo": visqol_moslqo(ref, est, sample_rate)}

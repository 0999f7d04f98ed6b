"""nn-host (workflow/nn_host): the exports played as nn~'s backend plays them, from C++ against the venv's
libtorch. Here on small scripted models that follow nn~'s conventions (a delay line, a latent of two
channels, a random prior); the workflow's own exports are checked on the smoke chain (test_chain_smoke)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import List

import numpy as np
import pytest
import soundfile as sf
import torch

from electone_rave.export import nn_host
from electone_rave.export.nn_host import NnHostError
from electone_rave.export.nn_host_check import TOLERANCE, check_export, nn_tilde_releases

RATIO = 256
DELAY = 100
SR = 44100


class ToyStreamingModel(torch.nn.Module):
    """nn~'s conventions (nn_tilde's python_tools): `<method>_params` = [in channels, in ratio, out
    channels, out ratio], settable attributes through get_attributes/get_<name>/set_<name>. forward is
    a delay line of DELAY samples with a cache per batch, encode a two-channel latent (mean and peak of
    each RATIO samples), decode holds the mean, prior draws noise scaled by its inlet."""

    def __init__(self, decode: bool = True, gain: float = 1.0):
        super().__init__()
        self.register_buffer("forward_params", torch.tensor([1, 1, 1, 1]))
        self.register_buffer("encode_params", torch.tensor([1, 1, 2, RATIO]))
        if decode:
            self.register_buffer("decode_params", torch.tensor([2, RATIO, 1, 1]))
        self.register_buffer("prior_params", torch.tensor([1, RATIO, 2, RATIO]))
        self.register_buffer("gain_params", torch.tensor([2]))  # one float argument
        self.register_buffer("cache", torch.zeros(1, 1, DELAY))
        self.sr = SR
        self.gain = gain
        self.delay, self.ratio = DELAY, RATIO

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.cache.shape[0] != x.shape[0]:
            self.cache = torch.zeros(x.shape[0], 1, self.delay)
        joined = torch.cat([self.cache, x], -1)
        self.cache = joined[..., joined.shape[-1] - self.delay:].clone()
        return self.gain * joined[..., : x.shape[-1]]

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        frames = x.reshape(x.shape[0], 1, -1, self.ratio)
        return torch.cat([frames.mean(-1), frames.abs().amax(-1)], 1)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, :1].repeat_interleave(self.ratio, -1)

    @torch.jit.export
    def prior(self, t: torch.Tensor) -> torch.Tensor:
        return torch.randn(t.shape[0], 2, t.shape[-1]) * torch.nn.functional.softplus(t)

    @torch.jit.export
    def get_attributes(self) -> List[str]:
        return ["gain"]

    @torch.jit.export
    def get_gain(self) -> List[float]:
        return [self.gain]

    @torch.jit.export
    def set_gain(self, gain: float) -> int:
        self.gain = gain
        return 0


def scripted(path: Path, **options) -> Path:
    torch.jit.script(ToyStreamingModel(**options)).save(str(path))
    return path


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    return scripted(tmp_path_factory.mktemp("nn_host") / "toy.ts")


def write_signal(path: Path, frames: int, channels: int = 1, seed: int = 0) -> np.ndarray:
    signal = np.random.default_rng(seed).uniform(-0.5, 0.5, (frames, channels)).astype(np.float32)
    sf.write(path, signal, SR, subtype="FLOAT")
    return signal


def test_describe_reads_methods_params_and_attributes_as_nn_tilde_does(toy: Path):
    description = nn_host.describe(toy)
    assert description["libtorch"] == torch.__version__.split("+")[0]
    assert description["methods"] == {
        "forward": {"in_channels": 1, "in_ratio": 1, "out_channels": 1, "out_ratio": 1},
        "encode": {"in_channels": 1, "in_ratio": 1, "out_channels": 2, "out_ratio": RATIO},
        "decode": {"in_channels": 2, "in_ratio": RATIO, "out_channels": 1, "out_ratio": 1},
        "prior": {"in_channels": 1, "in_ratio": RATIO, "out_channels": 2, "out_ratio": RATIO}}
    assert description["attributes"] == {"gain": "[1.]"}
    assert description["higher_ratio"] == RATIO and description["default_buffer"] == RATIO
    assert description["sample_rate"] == SR  # RAVE's `sr`


@pytest.mark.parametrize("requested, buffer, worker_thread", [
    (None, RATIO, True),   # omitted: the higher ratio's power-of-two ceiling
    (1000, 1024, True),    # rounded up to a power of two
    (100, RATIO, True),    # smaller than the ratio: the ratio
    (0, RATIO, False),     # 0: no worker thread
])
def test_forward_comes_out_late_by_nn_tilde_buffering_and_the_models_delay(
        toy: Path, tmp_path: Path, requested, buffer, worker_thread):
    signal = write_signal(tmp_path / "in.wav", 5000)[:, 0]
    report = nn_host.play(toy, tmp_path / "in.wav", tmp_path / "out.wav", buffer=requested, block=64)
    assert (report["buffer"], report["worker_thread"]) == (buffer, worker_thread)
    assert nn_host.nn_tilde_buffer(requested, RATIO) == buffer
    assert report["latency_samples"] == (2 * buffer if worker_thread else buffer) - 64
    played, rate = sf.read(tmp_path / "out.wav", dtype="float32")
    assert rate == SR and len(played) >= len(signal) + report["latency_samples"]
    late = report["latency_samples"] + DELAY
    np.testing.assert_array_equal(played[late:late + len(signal) - DELAY], signal[:len(signal) - DELAY])
    assert not played[:late].any()
    assert len(report["buffer_seconds"]) == len(played) // buffer and report["deadline_seconds"] == pytest.approx(buffer / SR)


def test_mc_batch_keeps_each_channel_to_its_own_batch(toy: Path, tmp_path: Path):
    """mc.nn~ at batch 4: inlet channel c * batch + b in, outlet b * channels + c out (encode's two)."""
    signal = write_signal(tmp_path / "in.wav", 4096, channels=4)
    report = nn_host.play(toy, tmp_path / "in.wav", tmp_path / "out.wav", method="encode", batch=4)
    played, _ = sf.read(tmp_path / "out.wav", dtype="float32", always_2d=True)
    assert played.shape[1] == 8
    late = report["latency_samples"]
    for b in range(4):
        frames = signal[:, b].reshape(-1, RATIO)
        np.testing.assert_allclose(played[late:late + 4096, 2 * b], np.repeat(frames.mean(1), RATIO), atol=1e-6)
        np.testing.assert_allclose(played[late:late + 4096, 2 * b + 1], np.repeat(np.abs(frames).max(1), RATIO),
                                   atol=1e-6)


def test_a_host_built_from_other_sources_is_refused(tmp_path: Path):
    """After an edit of workflow/nn_host, the installed binary is stale until `make setup` rebuilds it."""
    (tmp_path / "bin").mkdir()
    shutil.copy(nn_host.host_binary(), tmp_path / "bin/nn-host")
    stamp = tmp_path / nn_host.STAMP
    stamp.parent.mkdir(parents=True)
    stamp.write_text(nn_host.sources_digest() + "\n")
    assert nn_host.host_binary(tmp_path) == tmp_path / "bin/nn-host"
    stamp.write_text("0" * 64 + "\n")
    with pytest.raises(NnHostError, match="was built from other sources than .*nn_host holds now: `make setup`"):
        nn_host.host_binary(tmp_path)


def test_a_block_larger_than_the_buffer_is_refused(toy: Path, tmp_path: Path):
    write_signal(tmp_path / "in.wav", 1000)
    with pytest.raises(NnHostError, match="block 512 must divide the buffer 256"):
        nn_host.play(toy, tmp_path / "in.wav", tmp_path / "out.wav", buffer=256, block=512)


def test_every_method_agrees_with_python_at_batch_1_and_4(toy: Path, tmp_path: Path):
    record = check_export(toy, tmp_path / "check.json", seed=3)
    assert json.loads((tmp_path / "check.json").read_text()) == record
    assert {(c["method"], c["batch"]) for c in record["checks"]} == {
        (m, b) for m in ("forward", "encode", "decode", "prior") for b in (1, 4)}
    assert all(c["max_abs_difference"] <= TOLERANCE for c in record["checks"])
    assert all(c["output_rms"] > 0 for c in record["checks"])  # the prior's noise too: seeded alike
    assert record["nn_tilde"]["made_with_torch"] is None  # a .ts made elsewhere: nothing recorded in it


def test_the_torch_an_export_was_made_with_is_read_from_the_file(toy: Path, tmp_path: Path):
    """The workflow's export records its torch in the .ts; nn-host reads it back, and the export plays as
    before."""
    from electone_rave.export.rave_export import record_torch_version

    stamped = tmp_path / "stamped.ts"
    shutil.copy(toy, stamped)
    record_torch_version(stamped)
    assert nn_host.describe(toy)["made_with_torch"] is None
    assert nn_host.describe(stamped)["made_with_torch"] == torch.__version__
    record = check_export(stamped, tmp_path / "check.json", seed=3)
    assert record["nn_tilde"]["made_with_torch"] == torch.__version__ and record["nn_tilde"]["same_libtorch"]


def test_an_export_nn_tilde_cannot_decode_with_is_refused(tmp_path: Path):
    with pytest.raises(NnHostError, match=r"no_decode\.ts: nn~ finds no decode"):
        check_export(scripted(tmp_path / "no_decode.ts", decode=False), tmp_path / "check.json", 3)
    assert not (tmp_path / "check.json").exists()


def test_an_export_that_plays_silence_is_refused(tmp_path: Path):
    with pytest.raises(NnHostError, match=r"silent\.ts: forward plays silence"):
        check_export(scripted(tmp_path / "silent.ts", gain=0.0), tmp_path / "check.json", 3)


def test_the_nn_tilde_releases_of_an_exports_torch():
    assert nn_tilde_releases("2.5.0+cu124")["same_libtorch"] == ["v1.6.0"]
    older = nn_tilde_releases("2.0.1")
    assert older["same_libtorch"] == ["v1.4.3-v1.5.6"] and "v1.6.0" not in older["older_libtorch"]
    assert "v1.4.3-v1.5.6" in nn_tilde_releases("2.5.0")["older_libtorch"]


def test_the_load_grid_times_every_combination_and_adds_the_models_delay(toy: Path, tmp_path: Path):
    from electone_rave.evaluation.load_grid import load_grid
    from electone_rave.fileio import write_json

    write_json({"delay_samples": 300}, tmp_path / "played.json")
    record = load_grid(toy, tmp_path / "played.json", tmp_path / "grid.json", sample_rates=[44100, 48000],
                       buffers=[128, 256, 1000], threads=[1, 2], batches=[1, 4], seconds=0.2, seed=1)
    assert json.loads((tmp_path / "grid.json").read_text()) == record
    cells = record["cells"]
    # nn~ raises 128 to the model's ratio (measured once, as 256) and rounds 1000 up
    assert len(cells) == 16 and {c["buffer"] for c in cells} == {256, 1024}
    cell = next(c for c in cells if (c["sample_rate"], c["buffer"], c["threads"], c["batch"]) == (48000, 1024, 2, 4))
    assert cell["delay_ms"] == pytest.approx(1000 * (2 * 1024 - 64 + 300) / 48000)
    assert cell["deadline_ms"] == pytest.approx(1000 * 1024 / 48000)
    assert cell["buffers"] >= 1 and 0 < cell["median_ms"] <= cell["p99_ms"]
    assert record["summary"] is None  # the paper's cell (2048 samples) was not measured
    assert len(record["smallest_buffer_without_misses"]) == 8 and record["cpu"]

"""What a reader needs to load an exported model in nn~: its methods, rate, latent size and size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...evaluation.models import load_exported


@dataclass(frozen=True)
class ExportedModel:
    file_name: str
    megabytes: float
    sample_rate: int
    latent_size: int        # latent channels after export (RAVE keeps those reaching its fidelity)
    methods: list[str]      # nn~'s second argument: [nn~ <file_name> <method>]


def describe(ts_file: Path) -> ExportedModel:
    model = load_exported(ts_file)
    latent_size = int(model.encode_params[2])  # encode_params: in channels, in ratio, out channels, out ratio
    return ExportedModel(file_name=ts_file.name, megabytes=ts_file.stat().st_size / 1e6,
                         sample_rate=int(model.sr), latent_size=latent_size, methods=list(model.get_methods()))

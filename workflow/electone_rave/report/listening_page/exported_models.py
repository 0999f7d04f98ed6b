"""What a reader needs to load an exported model in nn~: its methods, rate, latent size and size,
as nn~ finds them (nn-host's description: the methods with their _params, RAVE's `sr`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...export import nn_host


@dataclass(frozen=True)
class ExportedModel:
    file_name: str
    megabytes: float
    sample_rate: int
    latent_size: int        # latent channels after export (RAVE keeps those reaching its fidelity)
    methods: list[str]      # nn~'s second argument: [nn~ <file_name> <method>]


def describe(ts_file: Path) -> ExportedModel:
    found = nn_host.describe(ts_file)
    return ExportedModel(file_name=ts_file.name, megabytes=ts_file.stat().st_size / 1e6,
                         sample_rate=found["sample_rate"], latent_size=found["methods"]["encode"]["out_channels"],
                         methods=list(found["methods"]))

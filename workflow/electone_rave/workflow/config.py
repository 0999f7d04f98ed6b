"""Loading and checking the workflow configuration (configs/config.yaml).

The JSON schema checks types and names; :func:`check_semantics` checks what a schema cannot:
cross-references, and RAVE 2.3.1's known traps, so a bad config fails in seconds instead of
after hours of training.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import yaml

from ..errors import ConfigError
from ..export.export_options import matmul_weights_apply

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = REPO_ROOT / "configs" / "config.yaml"

# RAVE v2's total downsampling (PQMF 16 bands x ratios 4*4*4*2): audio samples per latent frame.
V2_SAMPLES_PER_LATENT_FRAME = 2048
# RAVE defaults that our overrides may leave untouched (rave/configs/v1.gin).
RAVE_DEFAULTS = {"PHASE_1_DURATION": 1_000_000, "LATENT_SIZE": 128}
TRAIN_PERCENT = 98  # rave train's fixed split_dataset(dataset, 98)
RAW_DATA = Path("data/raw")  # real corpora, one folder each; never in git or the image
SOURCE_RECORD = "source.json"  # what import-run records about an imported run or .ts, beside it
IMPORTED_RUNS = Path("data/imported")  # released RAVE runs (import-run), one folder each; DVC-tracked
TRAINING_ONLY_KEYS = ("gin", "overrides", "scale_overrides", "train_budget", "seeds", "gpu_memory_gb")
IMPORT_ONLY_KEYS = ("unseen_files",)


def load(path: Path = DEFAULT_CONFIG, overrides: dict | None = None, configfiles: tuple[Path, ...] = ()) -> dict:
    """The config as Snakemake sees it: `path`, then each of `configfiles` merged in key by key
    (snakemake --configfile; an experiment file adds arms), then `overrides` (--config)."""
    config = yaml.safe_load(Path(path).read_text())
    if configfiles:
        from snakemake.utils import update_config
        for extra in configfiles:
            update_config(config, yaml.safe_load(Path(extra).read_text()))
    config.update(overrides or {})
    validate(config)
    return config


# Keys renamed so that they say what they hold: `profile` collided with Snakemake's --profile (an
# execution profile, profiles/), and `runs:` holds arms, each trained once per seed (a run).
RENAMED_KEYS = {"profile": "scale", "profiles": "scales", "runs": "arms"}
RENAMED_ARM_KEYS = {"profile_overrides": "scale_overrides"}


def check_renamed_keys(config: dict) -> None:
    """Refuse a config that still uses an old key name, telling the user the new one."""
    old = [f"`{key}` is now `{new}`" for key, new in RENAMED_KEYS.items() if key in config]
    arms = config.get("arms") or config.get("runs") or {}
    old += [f"arms/{arm}: `{key}` is now `{new}`" for arm, spec in arms.items() if isinstance(spec, dict)
            for key, new in RENAMED_ARM_KEYS.items() if key in spec]
    if old:
        hint = " (on the command line: --config scale=NAME)" if "profile" in config else ""
        raise ConfigError(f"configs: renamed keys: {'; '.join(old)}{hint}. Rename them in configs/config.yaml "
                          "and any experiment file, then regenerate dvc.yaml (make dvc.yaml)")


def validate(config: dict) -> None:
    check_renamed_keys(config)
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    try:
        jsonschema.validate(config, schema)
    except jsonschema.ValidationError as err:
        where = "/".join(map(str, err.absolute_path)) or "(top level)"
        raise ConfigError(f"configs: {where}: {err.message}") from None
    check_semantics(config)


def gin_overrides(overrides: list[str]) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in (o.split("=", 1) for o in overrides)}


def active_scale(config: dict) -> dict:
    """The section of `scales` that `scale` names."""
    return config["scales"][config["scale"]]


def chunk_samples(n_signal: int) -> int:
    """`rave preprocess` cuts each file into chunks of 2 * n_signal samples and drops the tail."""
    return 2 * n_signal


def chunks_per_file(seconds: float, config: dict) -> int:
    return math.floor(seconds * config["audio"]["sample_rate"] / chunk_samples(config["audio"]["n_signal"]))


def raw_corpus_folder(corpus: str, root: Path | None = Path(".")) -> str:
    """data/raw/<corpus>, which the user provides (import or dvc pull) when the scale reads real data,
    checked under root (the checkout, or a storage volume; None: not checkable here)."""
    folder = RAW_DATA / corpus
    if root is not None and not (root / folder).is_dir():
        raise ConfigError(
            f"{root / folder}: no audio folder for corpus {corpus!r}. Import yours with "
            f"`electone-rave import-corpus SOURCE_FOLDER --corpus {corpus}`, or `dvc pull {folder}.dvc` "
            "from your own DVC remote (docs/real-data-and-scale.md); under a storage provider, "
            "copy it to the same path in storage")
    return folder.as_posix()


def check_semantics(config: dict) -> None:
    from ..training.gin_stack import resolve

    name = config["scale"]
    if name not in config["scales"]:
        raise ConfigError(f"configs: scale {name!r} is not defined; defined: {sorted(config['scales'])}")
    prof = active_scale(config)
    for run, spec in config["arms"].items():
        for corpus in corpus_members(spec):
            if corpus not in config["corpora"]:
                raise ConfigError(f"configs: arms/{run}/corpus: unknown corpus {corpus!r}")
        if is_imported(spec):
            check_imported_arm(run, spec)
        elif extra := [key for key in IMPORT_ONLY_KEYS if key in spec]:
            raise ConfigError(f"configs: arms/{run}: {', '.join(extra)} describe an imported model; this arm "
                              "trains here, on the workflow's training split")
        unknown = sorted(set(spec.get("train_budget", {})) - set(config["scales"]))
        if unknown:
            raise ConfigError(f"configs: arms/{run}/train_budget: no scale named {', '.join(map(repr, unknown))}; "
                              f"scales: {', '.join(config['scales'])}")
        for entry in spec.get("gin", []) + config["prior"]["gin"]:
            try:
                resolve(entry)
            except ConfigError as err:
                raise ConfigError(f"configs: arms/{run}: {err}") from None

    if config["replication"]["run"] not in config["arms"]:
        raise ConfigError(f"configs: replication/run: unknown run {config['replication']['run']!r}")
    if not has_training_curves(config["arms"][config["replication"]["run"]]):
        raise ConfigError(f"configs: replication/run: {config['replication']['run']!r} was imported without its "
                          "TensorBoard events; the replication check reads the training curves")
    if not any(spec["prior"] for spec in config["arms"].values()):
        raise ConfigError("configs: arms: no arm has `prior: true`; the prior, its generations and "
                          "the paper's prior section need one")
    for i, pair in enumerate(config["ablation"]):
        for role in ("with_noise", "without_noise"):
            run = pair[role]
            if run not in config["arms"]:
                raise ConfigError(f"configs: ablation/{i}/{role}: unknown run {run!r}")
            if is_imported(config["arms"][run]):
                raise ConfigError(f"configs: ablation/{i}/{role}: run {run!r} is imported; the ablation "
                                  "compares arms the workflow trains with the same data, seed and steps")
            if arm_corpus(config["arms"][run]) != pair["corpus"]:
                raise ConfigError(f"configs: ablation/{i}/{role}: run {run!r} trains on "
                                  f"{arm_corpus(config['arms'][run])!r}, not {pair['corpus']!r}")
        if arm_seeds(config, pair["with_noise"]) != arm_seeds(config, pair["without_noise"]):
            raise ConfigError(f"configs: ablation/{i}: {pair['with_noise']!r} and {pair['without_noise']!r} must train "
                              "with the same seeds: the comparison pairs their runs seed by seed")

    own_budgets = {arm: arm_budget(config, arm) for arm, spec in config["arms"].items()
                   if name in spec.get("train_budget", {})}
    budgets = {f"scales/{name}/{section}": prof[section] for section in ("train", "prior")}
    budgets |= {f"arms/{arm}/train_budget/{name}": budget for arm, budget in own_budgets.items()}
    for where, steps in budgets.items():
        if steps.get("save_every") and steps["max_steps"] % steps["save_every"]:
            raise ConfigError(
                f"configs: {where}/save_every: {steps['save_every']} must divide max_steps "
                f"({steps['max_steps']}); RAVE saves the final step's checkpoint only when it falls on a snapshot")
    for arm, budget in own_budgets.items():
        check_phase_1_validation(f"arms/{arm}/train_budget/{name}", budget, arm_overrides(config, arm))

    for i, pair in enumerate(config["ablation"]):  # after the budgets themselves are checked
        check_only_noise_differs(config, i, pair["with_noise"], pair["without_noise"])

    export = config["export"]
    if not matmul_weights_apply(export["streaming"], export["matmul_convolutions"], export["matmul_weights"]):
        raise ConfigError(f"configs: export/matmul_weights: {export['matmul_weights']} weights are for the "
                          "matrix-product layers of a streaming export; set export/streaming and "
                          "export/matmul_convolutions to true, or matmul_weights to float32")

    if prof["corpus"]["source"] == "demo":
        check_demo_corpus_size(config)
    elif {"files", "seconds"} & set(prof["corpus"]):
        raise ConfigError(f"configs: scales/{name}/corpus: files and seconds size synthesized corpora "
                          "(source: demo); a raw corpus is whatever data/raw/<corpus> holds")


def check_only_noise_differs(config: dict, i: int, with_noise: str, without_noise: str) -> None:
    """An ablation pair differs in the noise generator and nothing else: the same step budget, and
    the same gin bindings (stack and overrides composed) once RAVE's `noise` config is added to the
    arm without it. The refusal names the first differences."""
    from ..training.gin_stack import NOISE_CONFIG, bindings, resolve

    where = f"configs: ablation/{i}: {with_noise!r} and {without_noise!r}"
    budgets = {arm: {k: v for k, v in arm_budget(config, arm).items() if k != "overrides"}
               for arm in (with_noise, without_noise)}
    differing = [f"{key}: {budgets[with_noise].get(key)} vs {budgets[without_noise].get(key)}"
                 for key in sorted(set(budgets[with_noise]) | set(budgets[without_noise]))
                 if budgets[with_noise].get(key) != budgets[without_noise].get(key)]
    if differing:
        raise ConfigError(f"{where} must train with the same step budget; they differ in {'; '.join(differing)}")
    noise_file = resolve(NOISE_CONFIG).resolve()
    (with_bound, with_files), (without_bound, without_files) = (
        bindings(config["arms"][arm]["gin"], arm_overrides(config, arm)) for arm in (with_noise, without_noise))
    if noise_file not in with_files or noise_file in without_files:
        raise ConfigError(f"{where}: the first must include RAVE's `{NOISE_CONFIG}` config and the second must not "
                          f"(included: {noise_file in with_files} and {noise_file in without_files})")
    noise_bound, _ = bindings([NOISE_CONFIG])
    expected = {**without_bound, **noise_bound}
    differing = [f"{key} = {with_bound.get(key, '(unbound)')} vs {without_bound.get(key, '(unbound)')}"
                 for key in sorted(set(expected) | set(with_bound)) if expected.get(key) != with_bound.get(key)]
    if differing:
        more = f" and {len(differing) - 5} more" if len(differing) > 5 else ""
        raise ConfigError(f"{where} must differ only in the noise generator; their gin stacks and overrides "
                          f"also differ in (first vs second) {'; '.join(differing[:5])}{more}")


def is_private(config: dict, corpus: str) -> bool:
    """A corpus (or a union holding one) whose audio stays on this machine: private unless it says
    `private: false`."""
    from ..corpus.union_corpus import members
    return any(config["corpora"][member].get("private", True) for member in members(corpus))


def corpus_members(spec: dict) -> list[str]:
    """The corpora an arm trains on: one, or several whose union it trains on."""
    return [spec["corpus"]] if isinstance(spec["corpus"], str) else list(spec["corpus"])


def arm_corpus(spec: dict) -> str:
    """The corpus name the DAG uses for an arm: `electone`, or `electone+electone_more` for a union."""
    from ..corpus.union_corpus import union_name
    return union_name(corpus_members(spec))


def is_imported(spec: dict) -> bool:
    """An arm whose model was trained elsewhere (electone-rave import-run): it skips training."""
    return "imported" in spec


def check_imported_arm(run: str, spec: dict) -> None:
    extra = [key for key in TRAINING_ONLY_KEYS if key in spec]
    if extra:
        raise ConfigError(f"configs: arms/{run}: {', '.join(extra)} describe a training; this arm is imported")
    if not Path(spec["imported"]).is_dir():
        raise ConfigError(f"configs: arms/{run}/imported: {spec['imported']} is not a folder. Import the run with "
                          f"`electone-rave import-run RUN_FOLDER --as {run} --corpus {spec['corpus']}`, or "
                          f"`dvc pull {spec['imported']}.dvc` from your DVC remote")
    if is_scripted(spec) and spec["prior"] and not scripted_has_prior(spec):
        raise ConfigError(f"configs: arms/{run}/prior: {spec['imported']}/model.ts was exported without a prior, "
                          "and a prior cannot be trained without the run's checkpoint; set `prior: false`")


def is_scripted(spec: dict) -> bool:
    """An imported arm that is an exported TorchScript model alone: no checkpoint, so no training
    curves, no prior training and no re-export; it stands in for the export."""
    return is_imported(spec) and (Path(spec["imported"]) / "model.ts").is_file()


def scripted_has_prior(spec: dict) -> bool:
    """Whether the imported .ts carries a prior (recorded by import-run in source.json)."""
    try:
        return bool(json.loads((Path(spec["imported"]) / SOURCE_RECORD).read_text())["has_prior"])
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"configs: {spec['imported']}/source.json: missing or unreadable ({err}); "
                          "re-run import-run") from None


def has_training_curves(spec: dict) -> bool:
    """Trained runs log TensorBoard scalars; an imported run has them only if it came with its events."""
    return not is_imported(spec) or (Path(spec["imported"]) / "tensorboard").is_dir()


def check_phase_1_validation(where: str, budget: dict, overrides: list[str]) -> None:
    phase_1 = int({**RAVE_DEFAULTS, **gin_overrides(overrides)}["PHASE_1_DURATION"])
    if budget["val_every"] >= phase_1:
        # rave export reads the latent PCA/fidelity computed at phase-1 validations only:
        # without one, the exported model has a latent size of 1.
        raise ConfigError(
            f"configs: {where}: val_every ({budget['val_every']}) must be smaller than "
            f"PHASE_1_DURATION ({phase_1}) so a validation computes the latent PCA before phase 2")


def check_demo_corpus_size(config: dict) -> None:
    """With synthesized corpora the chunk counts are known before anything runs: check RAVE's limits."""
    name, prof = config["scale"], active_scale(config)
    corpus = prof["corpus"]
    if corpus["heldout_files"] >= corpus["files"]:
        raise ConfigError(f"configs: scales/{name}/corpus: heldout_files must be < files")

    train = prof["train"]
    bindings = {**RAVE_DEFAULTS, **gin_overrides(train["overrides"])}
    check_phase_1_validation(f"scales/{name}/train", train, train["overrides"])

    train_files = corpus["files"] - corpus["heldout_files"]
    chunks = train_files * chunks_per_file(corpus["seconds"], config)
    val_chunks = chunks - max(TRAIN_PERCENT * chunks // 100, 1)
    if chunks < 2 or val_chunks < 1:
        raise ConfigError(
            f"configs: scales/{name}/corpus: {train_files} training files of {corpus['seconds']} s give "
            f"{chunks} RAVE chunks; at least 2 are needed (one for validation)")
    frames = val_chunks * config["audio"]["n_signal"] // V2_SAMPLES_PER_LATENT_FRAME
    latent = int(bindings["LATENT_SIZE"])
    if frames < latent:
        # The validation PCA over latents needs at least LATENT_SIZE frames.
        raise ConfigError(
            f"configs: scales/{name}: the validation split has {frames} latent frames but "
            f"LATENT_SIZE is {latent}; add audio or override a smaller LATENT_SIZE")


def arm_overrides(config: dict, arm: str, section: str = "train") -> list[str]:
    """Gin bindings of one arm's runs: the scale's (model size), then the arm's own for every
    scale, then the arm's own for the active scale; later ones win."""
    shared = active_scale(config)[section]["overrides"]
    if section != "train":
        return shared
    spec = config["arms"][arm]
    return shared + spec.get("overrides", []) + spec.get("scale_overrides", {}).get(config["scale"], [])


def arm_budget(config: dict, arm: str) -> dict:
    """One arm's training budget: the scale's, with the arm's own values for this scale over it."""
    own = config["arms"][arm].get("train_budget", {}).get(config["scale"], {})
    return {**active_scale(config)["train"], **own}


def arm_seeds(config: dict, arm: str) -> list[int]:
    """Training seeds of one arm: its own `seeds`, else the scale's, else the config's seed."""
    spec = config["arms"][arm]
    return spec.get("seeds") or active_scale(config).get("seeds") or [config["seed"]]


def expand_seeds(config: dict) -> dict[str, dict]:
    """The concrete runs: one per arm and training seed. An arm's first seed keeps the arm's name
    (the paper's runs); each further seed is `<arm>_seed<seed>`. Only the first seed trains a prior."""
    runs: dict[str, dict] = {}
    for arm, spec in config["arms"].items():
        if is_imported(spec):  # one run, trained elsewhere: no seed of ours, no gin stack to compose
            runs[arm] = {**spec, "corpus": arm_corpus(spec), "arm": arm, "seed": None, "gin": []}
            continue
        for i, seed in enumerate(arm_seeds(config, arm)):
            name = arm if i == 0 else f"{arm}_seed{seed}"
            if name in runs or (i and name in config["arms"]):
                raise ConfigError(f"configs: arms/{arm}: seed {seed} makes the run {name!r}, which another arm names")
            runs[name] = {**spec, "corpus": arm_corpus(spec), "arm": arm, "seed": seed, "prior": spec["prior"] and i == 0}
    for run, spec in runs.items():
        if spec["prior"] and f"{run}_prior" in runs:
            raise ConfigError(f"configs: arms/{runs[run + '_prior']['arm']}: the run {run}_prior would export to "
                              f"results/export/{run}_prior.ts, where run {run}'s export with its prior goes; rename it")
    return runs


def weights_compared_runs(config: dict, runs: dict[str, dict]) -> list[str]:
    """The runs whose float32 and bfloat16 exports are compared on the trained model (rule
    compare_weights): those with a checkpoint and a prior (the study's model), where the export takes
    matrix-product weights."""
    export = config["export"]
    if not (export["streaming"] and export["matmul_convolutions"]):
        return []
    return [run for run, spec in runs.items() if spec["prior"] and not is_scripted(spec)]


def arm_runs(runs: dict[str, dict], arm: str) -> list[str]:
    """The concrete runs of one arm, first seed first."""
    return [run for run, spec in runs.items() if spec["arm"] == arm]

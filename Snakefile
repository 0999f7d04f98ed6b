# electone-rave: the whole study as one DAG.
#   corpus (demo synthesis, or MusicNet download / the private Electone folder) -> ingest -> preprocess -> train (baseline, electone, noise ablation) -> prior -> export
#   -> metrics, evaluation (reconstructions, prior generations, real-time factor), noise ablation
#   -> figures -> paper (paper/electone-rave.pdf) -> release bundles (results/release/) -> listening page (results/site/)
#   -> manifest
# Run:  snakemake --cores all                      (demo scale, configs/config.yaml)
#       snakemake --cores all --config scale=smoke
# dvc.yaml runs the same rules one job per stage (generated: `make dvc.yaml`).

from snakemake.utils import min_version, validate

from electone_rave.workflow.config import check_renamed_keys

min_version("9.0")

configfile: "configs/config.yaml"


check_renamed_keys(config)  # an old key name gets its new one, before the schema's generic message
validate(config, "workflow/schemas/config.schema.yaml")

# With --software-deployment-method apptainer every rule runs in the workflow's image
# (GPU: --apptainer-args "--nv"); the image is config["container"], by digest once published.
container: config["container"]


include: "workflow/rules/common.smk"
include: "workflow/rules/musicnet.smk"
include: "workflow/rules/corpus.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/prior.smk"
include: "workflow/rules/export.smk"
include: "workflow/rules/metrics.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/best_checkpoint.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/dataset_size.smk"
include: "workflow/rules/transfer.smk"
include: "workflow/rules/fad.smk"
include: "workflow/rules/config.smk"
include: "workflow/rules/paper.smk"
include: "workflow/rules/release.smk"
include: "workflow/rules/site.smk"
include: "workflow/rules/manifest.smk"


rule all:
    default_target: True
    input:
        rules.manifest.output,
        rules.paper.output,

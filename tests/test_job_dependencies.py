"""What a job's code and config values are (job_dependencies.py), read from the real package and rules."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from conftest import REPO
from electone_rave.workflow.job_dependencies import command_code

RULES = sorted((REPO / "workflow/rules").glob("*.smk"))


def names(files) -> set[str]:
    return {f.removeprefix("workflow/electone_rave/") for f in files}


def test_a_command_runs_what_its_handler_imports_and_no_other_stage():
    figure = names(command_code("figure-training"))
    assert {"cli/__init__.py", "cli/report.py", "report/figures/training_curves.py", "evaluation/metrics.py"} <= figure
    assert not {"evaluation/audio_metrics.py", "training/train.py", "export/rave_export.py", "cli/training.py"} & figure
    assert not {"report/figures/spectrograms.py", "report/paper_numbers.py"} & figure  # other handlers of cli/report.py


def test_training_runs_its_subprocess_launcher_but_not_the_exports_code():
    train = names(command_code("train"))
    assert {"training/train.py", "rave_launcher.py", "training/gin_stack.py"} <= train  # `python -m electone_rave.rave_launcher`
    assert not {"export/rave_export.py", "export/export_launcher.py", "export/matmul_convs.py", "export/prior_export.py"} & train
    assert {"export/export_launcher.py", "export/matmul_convs.py", "export/prior_export.py"} <= names(command_code("export"))


def test_package_data_beside_a_module_is_code_too():
    page = names(command_code("listening-page"))
    assert {"report/listening_page/templates/index.html.j2", "report/listening_page/templates/style.css"} <= page


def test_an_unknown_command_is_refused():
    with pytest.raises(KeyError, match="no command 'no-such-command'"):
        command_code("no-such-command")


def rule_blocks(path):
    """(rule, its text) for each rule of a rule file."""
    parts = re.split(r"^rule (\w+):", path.read_text(), flags=re.M)
    return list(zip(parts[1::2], parts[2::2]))


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_every_rule_takes_the_code_of_exactly_the_commands_it_runs(path):
    for rule, text in rule_blocks(path):
        shell = text.split("\n    shell:", 1)[1] if "\n    shell:" in text else ""
        commands = set(re.findall(r"electone-rave ([a-z-]+)", shell))
        declared = re.search(r"code=code\(([^)]*)\)", text)
        if rule == "all":
            continue
        assert declared, f"{path.name}: rule {rule} has no code=code(...) input"
        named = set(re.findall(r'"([a-z-]+)"', declared.group(1)))
        if commands:
            assert named == commands, f"{path.name}: rule {rule} runs {commands}, takes the code of {named}"
        else:
            assert "modules=" in declared.group(1), f"{path.name}: rule {rule} runs no command; name its modules"


def test_rules_read_config_values_only_as_settings():
    """A parameter made from the config must be a Setting, so DVC sees its key: no rule's params
    block reads `config[...]`, SCALE or RUN_SPECS directly."""
    for path in RULES:
        for rule, text in rule_blocks(path):
            params = re.search(r"\n    params:\n(.*?)(?=\n    \w+:|\Z)", text, flags=re.S)
            if params is None or rule == "effective_config":
                continue
            direct = re.findall(r"config\[|SCALE\[|RUN_SPECS\[|EVAL\[", params.group(1))
            assert not direct, f"{path.name}: rule {rule} reads the config outside a Setting: {params.group(1)}"


def test_dvc_stages_track_the_keys_their_jobs_read():
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    params = {name: set(stage.get("params", [{}])[0].get("configs/config.yaml", [])) for name, stage in stages.items()}
    assert params["export-electone"] == {"export.fidelity", "export.matmul_convolutions", "export.matmul_weights",
                                         "export.streaming", "seed"}
    assert "arms.electone.gin" in params["train-electone"] and not any(k.startswith("export.") for k in params["train-electone"])
    assert params["figure_training_curves"] == set()
    assert "workflow/electone_rave/report/figures/training_curves.py" not in stages["train-electone"]["deps"]


def test_a_command_imports_only_its_own_stage_of_the_cli():
    """What job_dependencies counts as a command's code is what the process imports."""
    code = """
import sys
from electone_rave.cli import main
try:
    main(["figure-ablation", "--help"])
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith("electone_rave.cli")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['electone_rave.cli', 'electone_rave.cli.ablation_pairs', 'electone_rave.cli.commands', 'electone_rave.cli.report']"


def package_modules() -> list[str]:
    from electone_rave.workflow.job_dependencies import PACKAGE_DIR

    modules = []
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


STAGES = ("corpus", "preprocess", "training", "export", "evaluation", "report")  # the order the data flows


def test_a_stage_imports_no_later_stage():
    """The layout follows the DAG: a stage's subpackage uses earlier stages, the shared modules and
    the workflow's config, never a later stage (whose edits would then re-run it)."""
    from electone_rave.workflow.job_dependencies import direct_imports

    def stage(module):
        parts = module.split(".")
        return parts[1] if len(parts) > 2 and parts[1] in STAGES else None

    allowed = {("electone_rave.training.imported_run", "electone_rave.export.scripted_model")}  # import-run of a .ts
    later = [(m, d) for m in package_modules() if stage(m) for d in direct_imports(m)
             if stage(d) and STAGES.index(stage(d)) > STAGES.index(stage(m)) and (m, d) not in allowed]
    assert not later, later
    assert {p.name for p in (REPO / "workflow/electone_rave").iterdir() if (p / "__init__.py").is_file()} == \
        {*STAGES, "workflow", "cli"}


def test_the_package_has_no_import_circles():
    """A circle would make each module of it the other's code: edit one, re-run both stages."""
    from electone_rave.workflow.job_dependencies import direct_imports

    modules = package_modules()
    graph = {m: direct_imports(m) - {m} for m in modules}
    done, on_path = set(), []

    def visit(module):
        if module in on_path:
            raise AssertionError("import circle: " + " -> ".join(on_path[on_path.index(module):] + [module]))
        if module in done:
            return
        on_path.append(module)
        for imported in sorted(graph.get(module, ())):
            visit(imported)
        on_path.pop()
        done.add(module)

    for module in sorted(modules):
        visit(module)

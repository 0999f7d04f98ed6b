"""RAVE's commands run through our launcher: what it changes around them, and why."""

from __future__ import annotations

from pathlib import Path

import nn_tilde
import nn_tilde.codegen

from electone_rave.export.export_launcher import keep_nn_tilde_scratch_out_of_site_packages


def test_nn_tilde_generates_its_code_outside_its_read_only_package_folder():
    package = Path(nn_tilde.__file__).parent
    scratch = keep_nn_tilde_scratch_out_of_site_packages()
    session = nn_tilde.codegen.tmp_file_session(object())
    generated = session.get()
    assert generated.is_relative_to(scratch) and not generated.is_relative_to(package)
    session.close()


def test_nn_tilde_closes_its_sessions_quietly_after_our_scratch_is_gone():
    """At exit our handler removes the scratch folder before nn~'s modules are collected; their
    __del__ then closes a session whose folder is gone, which must not raise (it printed a traceback
    at the end of every export log)."""
    import shutil

    scratch = keep_nn_tilde_scratch_out_of_site_packages()
    session = nn_tilde.codegen.tmp_file_session(object())
    session.get()
    shutil.rmtree(scratch.parent)
    session.close()

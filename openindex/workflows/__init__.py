"""Workflows: read -> compute -> write, one function per command of the ``openindex`` command line.

Each workflow reads its input files, builds or analyses the index through the public API,
writes every output (manifests included) through :mod:`openindex.io`, and returns a small
frozen record of what it did, which the command line prints (:mod:`openindex.cli` only
parses arguments, calls a workflow, prints and sets the exit code).

One module per group of commands, so that each command imports only what it uses:

* :mod:`.prepare`: ``validate`` (:func:`check_framework`, :func:`check_data`), ``schema``
  (:func:`write_schema`), ``import-coinr`` (:func:`import_coinr`); no engine, no report;
* :mod:`.index`: ``run`` (:func:`run`) and ``report`` (:func:`report`);
* :mod:`.analysis`: ``uncertainty`` (:func:`uncertainty`) and ``audit`` (:func:`audit`);
* :mod:`.city`: ``template`` (:func:`template`), ``self-assess`` (:func:`self_assess`) and
  ``whatif`` (:func:`whatif`): one city's questionnaire, profile and improvements;
* :mod:`.inputs`: what they all read first; :mod:`.manifest`: the manifest that records it.

Every name below is importable from here (imported on first use)::

    from openindex.workflows import run
    outcome = run("indicators/opencities.yaml", "datasets/demo_network.csv", "reports/demo")
    outcome.paths["scores"]                       # reports/demo/scores.csv
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openindex.lazy import lazy_exports

if TYPE_CHECKING:
    from openindex.workflows.analysis import AuditOutcome, UncertaintyOutcome, audit, uncertainty
    from openindex.workflows.city import SelfAssessed, Template, WhatIf, self_assess, template, whatif
    from openindex.workflows.index import ReportOutcome, RunOutcome, report, run
    from openindex.workflows.inputs import Inputs, read_inputs
    from openindex.workflows.prepare import (
        DataCheck,
        FrameworkCheck,
        Imported,
        check_data,
        check_framework,
        import_coinr,
        write_schema,
    )

#: public name -> module that defines it (imported on first access)
_EXPORTS: dict[str, str] = {
    "Inputs": "openindex.workflows.inputs",
    "read_inputs": "openindex.workflows.inputs",
    "FrameworkCheck": "openindex.workflows.prepare",
    "DataCheck": "openindex.workflows.prepare",
    "Imported": "openindex.workflows.prepare",
    "check_framework": "openindex.workflows.prepare",
    "check_data": "openindex.workflows.prepare",
    "write_schema": "openindex.workflows.prepare",
    "import_coinr": "openindex.workflows.prepare",
    "RunOutcome": "openindex.workflows.index",
    "ReportOutcome": "openindex.workflows.index",
    "run": "openindex.workflows.index",
    "report": "openindex.workflows.index",
    "UncertaintyOutcome": "openindex.workflows.analysis",
    "AuditOutcome": "openindex.workflows.analysis",
    "uncertainty": "openindex.workflows.analysis",
    "audit": "openindex.workflows.analysis",
    "Template": "openindex.workflows.city",
    "SelfAssessed": "openindex.workflows.city",
    "WhatIf": "openindex.workflows.city",
    "template": "openindex.workflows.city",
    "self_assess": "openindex.workflows.city",
    "whatif": "openindex.workflows.city",
}

__all__ = [  # the names of _EXPORTS (tests/test_workflows.py checks they agree)
    "Inputs", "read_inputs", "FrameworkCheck", "DataCheck", "Imported", "check_framework", "check_data",
    "write_schema", "import_coinr", "RunOutcome", "ReportOutcome", "run", "report", "UncertaintyOutcome",
    "AuditOutcome", "uncertainty", "audit", "Template", "SelfAssessed", "WhatIf", "template", "self_assess",
    "whatif",
]


__getattr__, __dir__ = lazy_exports("openindex.workflows", _EXPORTS, globals())

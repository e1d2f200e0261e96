"""Run a module's main() in-process with arguments; return its JSON result."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args


def run_module(main, args, capsys, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out)

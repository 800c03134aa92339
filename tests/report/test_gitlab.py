"""GitLab CI's collapsible log sections around the task lines."""

from __future__ import annotations

import re

from tandem.report import gitlab


def test_a_section_opens_collapsed_with_its_header_and_closes_by_name():
    start, end = gitlab.section_start("tandem: tasks"), gitlab.section_end()
    assert re.fullmatch(
        r"\x1b\[0Ksection_start:\d+:tandem_tasks\[collapsed=true\]\r\x1b\[0Ktandem: tasks",
        start,
    )
    assert re.fullmatch(r"\x1b\[0Ksection_end:\d+:tandem_tasks\r\x1b\[0K", end)


def test_only_a_gitlab_job_folds_its_log():
    assert gitlab.active({"GITLAB_CI": "true"})
    assert not gitlab.active({"GITHUB_ACTIONS": "true"})
    assert not gitlab.active({})

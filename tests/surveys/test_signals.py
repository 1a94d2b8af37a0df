"""Other apps hear of bulk changes to a wave's responses (after commit, never for a rejected file)."""

import pytest

from servicechain.org.imports import ImportFailed
from servicechain.surveys import services
from servicechain.surveys.signals import responses_changed
from tests.surveys.helpers import PULSE_ANSWERS, build_org, open_wave, send_links
from tests.surveys.test_import import EXPORT, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    waves = []

    def receiver(sender, wave, **kwargs):
        waves.append(wave.pk)

    responses_changed.connect(receiver)
    yield waves
    responses_changed.disconnect(receiver)


def test_a_single_submission_is_not_announced(heard, django_capture_on_commit_callbacks):
    org, units = build_org()
    wave = open_wave(org, units["root"])
    token = send_links(wave)[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.response_submit(token=token, answers=PULSE_ANSWERS)
    assert heard == []


def test_an_import_announces_its_wave_and_a_rejected_one_does_not(
    heard, tmp_path, django_capture_on_commit_callbacks
):
    org, units = build_org()
    wave = open_wave(org, units["root"], name="Imported census")
    with django_capture_on_commit_callbacks(execute=True):
        run(wave, EXPORT, tmp_path=tmp_path)
    assert heard == [wave.pk]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ImportFailed):
        run(wave, EXPORT.replace("acme-na", "ghost"), tmp_path=tmp_path)
    assert heard == [wave.pk]

"""Real renders, checked with real ffmpeg: streams, timing, loudness, captions,
privacy, formats, voices, bad input. Small frames and draft quality keep the
whole file to about a minute on two cores."""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from storygen.errors import AssetError, RenderError
from storygen.video import render_videos, qc
from storygen.video.captions import parse_vtt_times
from video_fixtures import QUOTES, make_composite, make_project, tone

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
pytestmark = pytest.mark.slow
ONE_QUOTE = QUOTES[:1]


def ffmpeg_info(path: Path) -> str:
    return subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def ebur128(path: Path) -> tuple[float, float]:
    err = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
                          "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = err[err.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    tp = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return i, tp


def decoded_frames(path: Path) -> int:
    err = subprocess.run([FFMPEG, "-hide_banner", "-i", str(path), "-map", "0:v", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return int(re.findall(r"frame=\s*(\d+)", err)[-1])


def all_outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One 16:9 render with music, no voice, captions burned in."""
    root = tmp_path_factory.mktemp("video")
    project = make_project(root)
    [result] = render_videos(project, [make_composite()], root / "out", burn_captions=True,
                             progress=True)
    return project, result


def test_writes_every_output_named_by_format(rendered):
    _, r = rendered
    out = r.video.parent
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"time-to-listen-16x9{s}" for s in
                           (".mp4", ".vtt", ".srt", ".txt", "-poster.jpg", "-contact.png"))
    assert r.tag == "16x9" and r.format == "16:9"


def test_streams_are_h264_bt709_and_aac_48k_at_the_planned_length(rendered):
    _, r = rendered
    info = ffmpeg_info(r.video)
    assert re.search(r"Video: h264 \(High\).*yuv420p\(tv, bt709, progressive\), 320x180", info)
    assert re.search(r"30 fps", info)
    assert re.search(r"Audio: aac \(LC\).*48000 Hz, stereo", info)
    assert "creation_time" not in info and "encoder" not in info.lower().split("stream #0:0")[0]
    frames = decoded_frames(r.video)
    assert frames == r.frames
    assert abs(frames / 30 - r.planned) <= 1 / 30
    m = re.search(r"Duration: (\d+):(\d+):([\d.]+)", info)
    container = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    assert abs(container - r.planned) <= 1 / 30 + 0.01     # ffmpeg prints centiseconds


def test_faststart_and_no_creation_time(rendered):
    _, r = rendered
    data = r.video.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    facts = qc.read_boxes(r.video)
    assert facts.creation_time == 0 and facts.modification_time == 0 and not facts.has_metadata
    assert facts.video.colour == (1, 1, 1)
    assert b"Lavf" not in data and b"x264 - core" not in data     # no encoder strings


def test_loudness_is_minus_16_lufs_with_true_peak_below_minus_1(rendered):
    _, r = rendered
    i, tp = ebur128(r.video)
    assert abs(i + 16) <= 1.0 and tp <= -1.0
    assert r.loudness == pytest.approx(i, abs=0.1)


def test_captions_fit_the_video_and_cover_every_word(rendered):
    _, r = rendered
    cues = parse_vtt_times(r.vtt.read_text(encoding="utf-8"))
    assert cues
    for start, end, lines in cues:
        assert 0 <= start < end <= r.duration + 1e-3
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    for (a0, a1, _), (b0, b1, _) in zip(cues, cues[1:]):
        assert a1 <= b0 + 1e-6                                # no overlaps
    said = " ".join(" ".join(lines) for *_, lines in cues).split()
    for quote in QUOTES + ["Time to listen", "Sam opens the folder again."]:
        assert " ".join(quote.split()) in " ".join(said)
    srt = r.srt.read_text(encoding="utf-8")
    assert srt.count("-->") == len(cues)
    text = r.transcript.read_text(encoding="utf-8")
    for quote in QUOTES:
        assert f"Sam: “{quote}”" in text
    assert "[Picture: Test picture 1]" in text


def test_disclosure_is_in_every_sidecar(rendered):
    _, r = rendered
    line = "A composite of 3 accounts. Names and details changed."
    assert line in r.vtt.read_text(encoding="utf-8").split("\n\n")[1]      # header NOTE
    assert line in r.transcript.read_text(encoding="utf-8").splitlines()[1]
    srt = r.srt.read_text(encoding="utf-8")                  # SRT has no header: the end-card cues
    assert "A composite of 3 accounts." in srt and "Names and details changed." in srt


def test_no_private_provenance_in_any_output(rendered):
    _, r = rendered
    for path in all_outputs(r.video.parent):
        data = path.read_bytes()
        for secret in (b"SECRET", b"deadbeef"):
            assert secret not in data, path.name


def test_poster_and_contact_sheet(rendered):
    from PIL import Image
    _, r = rendered
    with Image.open(r.poster) as im:
        assert im.size == (320, 180) and im.format == "JPEG" and not im.getexif()
    with Image.open(r.contact) as im:
        assert im.format == "PNG" and im.width > 320


def test_renders_are_deterministic(tmp_path):
    project = make_project(tmp_path)
    comp = make_composite(quotes=ONE_QUOTE)
    first = render_videos(project, [comp], tmp_path / "a", progress=False)[0]
    second = render_videos(project, [comp], tmp_path / "b", progress=False)[0]
    for attr in ("video", "vtt", "srt", "transcript", "poster", "contact"):
        a, b = getattr(first, attr), getattr(second, attr)
        assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest(), attr


@pytest.mark.parametrize("fmt,size", [("9:16", (180, 320)), ("1:1", (180, 180)), ("4:5", (180, 224))])
def test_other_formats_render_at_their_own_size(tmp_path, fmt, size):
    project = make_project(tmp_path, music=False)
    [r] = render_videos(project, [make_composite(quotes=ONE_QUOTE)], tmp_path / "out",
                        formats=[fmt], progress=False)
    assert (r.width, r.height) == size
    assert r.video.name == f"time-to-listen-{fmt.replace(':', 'x')}.mp4"
    assert f"{size[0]}x{size[1]}" in ffmpeg_info(r.video)
    assert r.loudness is None                                      # no voice, no music: silence


def test_story_formats_and_media_choose_what_is_rendered(tmp_path):
    project = make_project(tmp_path, music=False)
    both = make_composite(quotes=ONE_QUOTE, formats=("16:9", "1:1"))
    site_only = make_composite(quotes=ONE_QUOTE, slug="not-a-video", media=("site",))
    results = render_videos(project, [both, site_only], tmp_path / "out", jobs=2, progress=False)
    assert [(r.slug, r.tag) for r in results] == [("time-to-listen", "16x9"), ("time-to-listen", "1x1")]
    assert not list((tmp_path / "out").glob("not-a-video*"))


def test_no_progress_output_when_stderr_is_not_a_terminal(tmp_path, capfd):
    project = make_project(tmp_path, music=False)
    render_videos(project, [make_composite(quotes=ONE_QUOTE)], tmp_path / "out", progress=True)
    assert capfd.readouterr().err == ""


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_voice_times_cues_to_speech_and_ducks_music(tmp_path):
    project = make_project(tmp_path, voice="espeak")
    [r] = render_videos(project, [make_composite(quotes=ONE_QUOTE)], tmp_path / "out", progress=False)
    assert r.voice == "espeak"
    i, tp = ebur128(r.video)
    assert abs(i + 16) <= 1.0 and tp <= -1.0
    assert "Voiced by a synthetic voice (espeak-ng)." in r.vtt.read_text(encoding="utf-8")


def test_recorded_narration_per_unit_sets_slide_length(tmp_path):
    project = make_project(tmp_path, music=True, voice="recorded", loudness=-23.0)
    folder = tmp_path / "assets" / "narration" / "time-to-listen"
    folder.mkdir(parents=True)
    tone(folder / "04.wav", seconds=5.0, freq=500)            # unit 4 is the quotation
    [r] = render_videos(project, [make_composite(quotes=ONE_QUOTE)], tmp_path / "out", progress=False)
    cues = parse_vtt_times(r.vtt.read_text(encoding="utf-8"))
    quote = [c for c in cues if "counting" in " ".join(c[2])]
    assert quote[-1][1] - quote[0][0] == pytest.approx(5.0, abs=0.01)   # the recording's length
    i, tp = ebur128(r.video)
    assert abs(i + 23) <= 1.0 and tp <= -1.0                     # broadcast target
    assert "Voiced by a narrator." in r.transcript.read_text(encoding="utf-8")


# ---- bad input: a clear AssetError naming the asset and the story, outputs untouched


def _expect_asset_error(project, comp, out, *needles):
    before = {p: p.read_bytes() for p in all_outputs(out)} if out.exists() else {}
    with pytest.raises(AssetError) as err:
        render_videos(project, [comp], out, progress=False)
    message = str(err.value)
    for needle in needles:
        assert needle in message
    after = {p: p.read_bytes() for p in all_outputs(out)} if out.exists() else {}
    assert after == before                                       # previous outputs untouched
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp")] if out.exists() else True
    assert err.value.exit_code == 2
    return message


def test_missing_image(tmp_path):
    project = make_project(tmp_path, music=False)
    comp = make_composite(quotes=ONE_QUOTE)
    render_videos(project, [comp], tmp_path / "out", progress=False)      # a good previous build
    (tmp_path / "assets" / "photos" / "p1.png").unlink()
    _expect_asset_error(project, comp, tmp_path / "out", "p1.png", "time-to-listen", "not found")


def test_corrupt_image(tmp_path):
    project = make_project(tmp_path, music=False)
    (tmp_path / "assets" / "photos" / "p0.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    _expect_asset_error(project, make_composite(quotes=ONE_QUOTE), tmp_path / "out",
                        "p0.png", "time-to-listen", "cannot read image")


def test_image_smaller_than_the_frame(tmp_path):
    project = make_project(tmp_path, music=False, size=720)
    _expect_asset_error(project, make_composite(quotes=ONE_QUOTE), tmp_path / "out",
                        "p0.png", "smaller than the 1280×720 video frame", "time-to-listen")


def test_corrupt_music(tmp_path):
    project = make_project(tmp_path)
    (tmp_path / "assets" / "bed.mp3").write_bytes(b"ID3 this is not audio" * 50)
    _expect_asset_error(project, make_composite(quotes=ONE_QUOTE), tmp_path / "out",
                        "bed.mp3", "cannot decode audio", "time-to-listen")


def test_missing_narration_file(tmp_path):
    project = make_project(tmp_path, music=False)
    comp = make_composite(quotes=ONE_QUOTE, narration="voice/story.mp3")
    _expect_asset_error(project, comp, tmp_path / "out", "story.mp3", "time-to-listen")


def test_unreadable_font(tmp_path):
    project = make_project(tmp_path, music=False)
    theme = tmp_path / "templates" / "video"
    theme.mkdir(parents=True)
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "Broken.ttf").write_bytes(b"not a font")
    (theme / "theme.toml").write_text('font = "fonts/Broken.ttf"\n', encoding="utf-8")
    _expect_asset_error(project, make_composite(quotes=ONE_QUOTE), tmp_path / "out",
                        "Broken.ttf", "cannot load font", "time-to-listen")


def test_story_too_long_for_the_format_cap(tmp_path):
    project = make_project(tmp_path, music=False, caps={"9:16": 5})
    comp = make_composite(quotes=ONE_QUOTE, formats=("9:16",))
    _expect_asset_error(project, comp, tmp_path / "out", "time-to-listen", "5 s cap", "9:16")


def test_piper_without_a_model_is_a_clear_error(tmp_path):
    project = make_project(tmp_path, music=False, voice="piper", voice_model="voices/en.onnx")
    _expect_asset_error(project, make_composite(quotes=ONE_QUOTE), tmp_path / "out",
                        "en.onnx", "piper voice model not found", "time-to-listen")


def test_quality_check_fails_when_the_file_does_not_match_the_plan(rendered):
    _, r = rendered
    with pytest.raises(RenderError, match="planned"):
        qc.check(r.video, r.vtt, width=320, height=180, fps=30, frames=r.frames + 2,
                 loudness=-16.0, story="s", decode=False)
    with pytest.raises(RenderError, match="size"):
        qc.check(r.video, r.vtt, width=640, height=360, fps=30, frames=r.frames,
                 loudness=-16.0, story="s", decode=False)
    with pytest.raises(RenderError, match="loudness"):
        qc.check(r.video, r.vtt, width=320, height=180, fps=30, frames=r.frames,
                 loudness=-23.0, story="s", decode=False)


def test_whole_story_narration_is_cut_at_its_labels(tmp_path):
    project = make_project(tmp_path, music=False)
    voice = tmp_path / "assets" / "voice"
    voice.mkdir(parents=True)
    tone(voice / "story.wav", seconds=6.0, freq=400)
    # Audacity label track: unit 1 (title) 0-2 s, unit 4 (the quotation) 2-6 s
    (voice / "story.labels.txt").write_text("0.0\t2.0\t1\n2.0\t6.0\t4\n", encoding="utf-8")
    comp = make_composite(quotes=ONE_QUOTE, narration="voice/story.wav")
    [r] = render_videos(project, [comp], tmp_path / "out", progress=False)
    assert r.voice == "recorded"
    cues = parse_vtt_times(r.vtt.read_text(encoding="utf-8"))
    title = [c for c in cues if c[2] in (["Time to listen"], ["What changed."])]
    assert title[-1][1] - title[0][0] == pytest.approx(2.0, abs=0.01)
    quote = [c for c in cues if "counting" in " ".join(c[2])]
    assert quote[-1][1] - quote[0][0] == pytest.approx(4.0, abs=0.01)
    i, tp = ebur128(r.video)
    assert abs(i + 16) <= 1.0 and tp <= -1.0


def test_decoded_video_shows_what_was_drawn(rendered):
    # End to end: the first frame, decoded by ffmpeg with the file's own colour
    # tags, matches the poster (the same slide drawn in RGB). A wrong matrix,
    # range or plane order would shift it by far more than the encoder's loss.
    import numpy as np
    from PIL import Image
    _, r = rendered
    raw = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(r.video),
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    decoded = np.frombuffer(raw, np.uint8).reshape(r.height, r.width, 3).astype(int)
    with Image.open(r.poster) as im:
        poster = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(decoded - poster).mean() < 4.0
    probe = subprocess.run([str(Path(FFMPEG)), "-hide_banner", "-i", str(r.video)], capture_output=True,
                           text=True).stderr
    assert "bt709" in probe

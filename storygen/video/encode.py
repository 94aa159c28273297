"""One ffmpeg encode per video: raw RGB frames on stdin, the mixed WAV as a file.

Settings: H.264 High, yuv420p with BT.709 conversion *and* tags (swscale's
default RGB->YUV matrix is BT.601, which would shift colours), AAC 48 kHz,
`+faststart` so browsers start playing before the download ends, and no
metadata: `-map_metadata -1` plus bitexact flags drop the creation time and
encoder strings, so the same input gives the same bytes.
"""
from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import imageio_ffmpeg

from ..errors import RenderError
from .formats import Frame

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

COLOUR = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
          "-color_range", "tv"]
TO_YUV = (
    "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic,format=yuv420p,"
    # tag the frames too: newer ffmpeg takes VUI colour tags from the frames
    "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv")


def video_args(frame: Frame) -> list[str]:
    """Encoder settings, shared with the benchmark's floor so the comparison is fair."""
    q = frame.quality
    return ["-vf", TO_YUV, "-c:v", "libx264", "-preset", q.preset, "-crf", str(q.crf),
            "-profile:v", "high", "-g", str(frame.fps * 4),
            # x264 keeps rc-lookahead frames in memory (40 at medium, ~7 MB each at
            # 1080p). 10 (veryfast's value) measured: encoder 470 -> 400 MB, file
            # no bigger on our slow pans, same speed
            "-rc-lookahead", "10", *COLOUR,
            # drop SEI units: x264 writes its version and full settings into one
            "-bsf:v", "filter_units=remove_types=6"]


def tail_args(out: Path) -> list[str]:
    # max_interleave_delta 0: always interleave audio and video strictly by timestamp. With
    # the default (10 s) a video pipe slowed by a busy machine lets audio be flushed ahead,
    # and the MP4's layout (not its content) then depends on timing: builds stop being
    # byte-identical. Waiting costs only buffered audio packets.
    return ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-flags:a", "+bitexact", "-max_interleave_delta", "0", "-movflags", "+faststart", str(out)]


def encode(frames: Iterable[bytes], frame: Frame, total_frames: int, audio: Path,
           audio_filter: str, out: Path, on_frame: Callable[[int], None] | None = None) -> None:
    """Pipe frames into ffmpeg and mux with the audio; RenderError if ffmpeg fails."""
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{frame.width}x{frame.height}",
           # a short input queue: each queued raw frame is width*height*3 bytes
           "-r", str(frame.fps), "-thread_queue_size", "4", "-i", "pipe:0", "-i", str(audio),
           "-map", "0:v:0", "-map", "1:a:0", *video_args(frame),
           "-af", audio_filter, "-c:a", "aac", "-b:a", frame.quality.audio_bitrate,
           "-ar", "48000", "-ac", "2", "-frames:v", str(total_frames), *tail_args(out)]
    # stderr to a file, not a pipe: a chatty ffmpeg must never block on a full pipe
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        n = 0
        try:
            for data in frames:
                proc.stdin.write(data)
                n += 1
                if on_frame:
                    on_frame(n)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        code = proc.wait()
        err.seek(0)
        message = err.read().decode(errors="replace")[-800:]
    if code != 0 or n != total_frames:
        raise RenderError(f"ffmpeg failed while encoding {out.name} (exit {code}, "
                          f"{n}/{total_frames} frames): {message.strip()}")

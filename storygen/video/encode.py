"""One ffmpeg encode per video: raw I420 frames on stdin, the mixed WAV as a file.

Settings: H.264 High, yuv420p BT.709 (the frames arrive converted, see
planes.py; here they are tagged so players decode the right colours), AAC 48 kHz,
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
# Tag the frames too: newer ffmpeg takes the VUI colour tags from the frames.
# Chroma is sited at the centre of each 2x2 block (planes.py averages the four).
TAGS = ("setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv:"
        "chroma_location=center")
# For inputs that are not our frames (the benchmark's stills): convert with the
# BT.709 matrix, since swscale's default is BT.601 and would shift colours.
TO_YUV = "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic,format=yuv420p," + TAGS


def video_args(frame: Frame) -> list[str]:
    """Encoder settings, shared with the benchmark's floor so the comparison is fair."""
    q = frame.quality
    return ["-c:v", "libx264", "-preset", q.preset, "-crf", str(q.crf),
            "-profile:v", "high", "-g", str(frame.fps * 4),
            # x264 keeps rc-lookahead frames in memory (40 at medium, ~7 MB each at
            # 1080p). 10 (veryfast's value) measured: encoder 470 -> 400 MB, file
            # no bigger on our slow pans, same speed
            "-rc-lookahead", "10", *COLOUR, "-chroma_sample_location", "center",
            # drop SEI units: x264 writes its version and full settings into one
            "-bsf:v", "filter_units=remove_types=6",
            *(["-x264-params", q.x264_params] if q.x264_params else [])]


def tail_args(out: Path) -> list[str]:
    # max_interleave_delta 0: always interleave audio and video strictly by timestamp. With
    # the default (10 s) a video pipe slowed by a busy machine lets audio be flushed ahead,
    # and the MP4's layout (not its content) then depends on timing: builds stop being
    # byte-identical. Waiting costs only buffered audio packets.
    return ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            "-flags:a", "+bitexact", "-max_interleave_delta", "0", "-movflags", "+faststart", str(out)]


def encode(frames: Iterable, frame: Frame, total_frames: int, audio: Path,
           audio_filter: str, out: Path, on_frame: Callable[[int], None] | None = None) -> None:
    """Pipe frames into ffmpeg and mux with the audio; RenderError if ffmpeg fails."""
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{frame.width}x{frame.height}",
           # a short input queue: each queued raw frame is width*height*1.5 bytes
           "-r", str(frame.fps), "-thread_queue_size", "4", "-i", "pipe:0", "-i", str(audio),
           "-map", "0:v:0", "-map", "1:a:0", "-vf", TAGS, *video_args(frame),
           "-af", audio_filter, "-c:a", "aac", "-b:a", frame.quality.audio_bitrate,
           "-ar", "48000", "-ac", "2", "-frames:v", str(total_frames), *tail_args(out)]
    # stderr to a file, not a pipe: a chatty ffmpeg must never block on a full pipe
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        _widen_pipe(proc.stdin)
        n = 0
        try:
            with _Writer(proc.stdin) as writer:
                for data in frames:
                    writer.put(data)
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


def _widen_pipe(pipe) -> None:
    """Ask for a 1 MiB pipe (Linux; the default is 64 KiB), so ffmpeg can take a
    third of a frame per read instead of 1/48th. Best effort: not all systems allow it."""
    try:
        import fcntl
        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


class _Writer:
    """Write frames to the pipe from a second thread, so drawing the next frame
    overlaps with ffmpeg taking this one (both release the GIL while they work).
    Each frame is copied first: the frame stream reuses its arrays."""

    def __init__(self, pipe, depth: int = 2):
        import queue
        import threading
        self.pipe, self.queue = pipe, queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def put(self, data) -> None:
        if self.error:
            raise self.error
        self.queue.put(bytes(data))

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.pipe.write(data)
                except BaseException as exc:      # handed to the drawing thread
                    self.error = exc

    def __exit__(self, *exc) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error and exc[0] is None:
            raise self.error

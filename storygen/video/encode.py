"""ffmpeg for a video: picture and sound are encoded separately, then muxed.

The picture: raw I420 frames on stdin, H.264. The sound: the mixed WAV,
loudness-normalised (float WAV) by render.py in a second thread while the
frames are drawn, so its passes use the CPU time x264 leaves idle. The mux
copies the H.264 and encodes the AAC there, in the process that writes the MP4,
so the sound's length in the file is exactly the plan's (an AAC stream muxed
from another file kept its encoder padding: ~50 ms too long).

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
import numpy as np

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


def _run(cmd: list[str], what: str) -> None:
    run = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
    if run.returncode != 0:
        raise RenderError(f"ffmpeg failed while {what} (exit {run.returncode}): "
                          f"{run.stderr.decode(errors='replace')[-800:].strip()}")


def normalise_audio(wav: Path, audio_filter: str, out: Path) -> None:
    """The mixed WAV through the loudness filter, 48 kHz stereo, 32-bit float (no rounding yet)."""
    _run([FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav),
          "-map", "0:a:0", "-af", audio_filter, "-c:a", "pcm_f32le", "-ar", "48000", "-ac", "2",
          "-map_metadata", "-1", "-fflags", "+bitexact", str(out)],
         f"normalising the sound for {out.stem}")


def mux(video: Path, sound: Path, bitrate: str, out: Path) -> None:
    """The final MP4: the H.264 copied, the sound encoded to AAC; faststart, no metadata."""
    _run([FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(video),
          "-i", str(sound), "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy",
          "-c:a", "aac", "-b:a", bitrate, "-ar", "48000", "-ac", "2", *tail_args(out)],
         f"muxing {out.name}")


def encode_video(frames: Iterable, frame: Frame, total_frames: int, out: Path,
                 on_frame: Callable[[int], None] | None = None) -> None:
    """Pipe frames into ffmpeg's H.264 encoder (no sound yet); RenderError if ffmpeg fails."""
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{frame.width}x{frame.height}",
           # a short input queue: each queued raw frame is width*height*1.5 bytes
           "-r", str(frame.fps), "-thread_queue_size", "8", "-i", "pipe:0",
           "-map", "0:v:0", "-vf", TAGS, *video_args(frame),
           "-frames:v", str(total_frames), *tail_args(out)]
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

    The frame stream reuses its arrays, so each frame is copied into one of a
    few buffers allocated once and passed back and forth: no per-frame allocation."""

    def __init__(self, pipe, depth: int = 4):
        import queue
        import threading
        self.pipe = pipe
        self.full: queue.Queue = queue.Queue()
        self.free: queue.Queue = queue.Queue()
        self.depth = depth
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def put(self, frame) -> None:
        if self.error:
            raise self.error
        if self.depth > 0:
            self.depth -= 1
            buffer = np.empty_like(frame)
        else:
            buffer = self.free.get()
        np.copyto(buffer, frame)
        self.full.put(buffer)

    def _run(self) -> None:
        while (buffer := self.full.get()) is not None:
            if self.error is None:
                try:
                    self.pipe.write(buffer)
                except BaseException as exc:      # handed to the drawing thread
                    self.error = exc
            self.free.put(buffer)

    def __exit__(self, *exc) -> None:
        self.full.put(None)
        self.thread.join()
        if self.error and exc[0] is None:
            raise self.error

"""Story videos: captioned, voiced, well-mixed slideshows in every social format.

`render_videos(project, composites, out, ...)` is the whole interface; see
render.py. Modules: timeline (units, cues, timing), slides (layouts), motion
(pan and zoom), frames (the frame stream, poster, contact sheet), audio (mix,
ducking, loudness), voice (recorded and synthetic narration), captions
(cues, WebVTT, SRT), encode (ffmpeg), qc (the quality check).
"""
from .render import VideoResult, render_videos

__all__ = ["VideoResult", "render_videos"]

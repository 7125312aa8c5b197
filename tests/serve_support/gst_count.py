"""Plays an RTSP URL with GStreamer's rtspsrc and decodebin, prints the
decoded video and audio frame counts as `video=N audio=M`, exits 1 on a
pipeline error. With RTSP_VERSION set (rtspsrc's default-rtsp-version
enum value: 16 for 1.0, 32 for 2.0) rtspsrc tries that version first;
with STOP_AFTER_FRAMES=N it stops once N video and N audio frames were
decoded (for a live stream, which has no end).

usage: gst_count.py URL PROTOCOLS [USER PASSWORD] [PROPERTY=VALUE ...]
(rtspsrc properties, such as tls-validation-flags=0)."""
import os
import sys
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst, GLib

Gst.init(None)
url, protocols = sys.argv[1], sys.argv[2]
properties = [a.split("=", 1) for a in sys.argv[3:] if "=" in a]
extra = [a for a in sys.argv[3:] if "=" not in a]  # user-id, user-pw
pipeline = Gst.Pipeline.new("p")
src = Gst.ElementFactory.make("rtspsrc")
src.set_property("location", url)
src.set_property("protocols", protocols)
if os.environ.get("RTSP_VERSION"):
    src.set_property("default-rtsp-version", int(os.environ["RTSP_VERSION"]))
stop_after = int(os.environ.get("STOP_AFTER_FRAMES", "0"))
if extra:
    src.set_property("user-id", extra[0])
    src.set_property("user-pw", extra[1])
for name, value in properties:
    src.set_property(name, int(value) if value.isdigit() else value)
pipeline.add(src)
counts = {"video": 0, "audio": 0}

def on_decoded(dbin, pad):
    caps = pad.get_current_caps() or pad.query_caps(None)
    kind = "video" if caps.to_string().startswith("video/") else "audio"
    sink = Gst.ElementFactory.make("fakesink")
    sink.set_property("sync", False)
    sink.set_property("signal-handoffs", True)
    def on_handoff(*args):
        counts[kind] += 1
        if stop_after and min(counts.values()) >= stop_after:
            GLib.idle_add(loop.quit)

    sink.connect("handoff", on_handoff)
    pipeline.add(sink)
    sink.sync_state_with_parent()
    pad.link(sink.get_static_pad("sink"))

def on_src_pad(element, pad):
    dbin = Gst.ElementFactory.make("decodebin")
    dbin.connect("pad-added", on_decoded)
    pipeline.add(dbin)
    dbin.sync_state_with_parent()
    pad.link(dbin.get_static_pad("sink"))

src.connect("pad-added", on_src_pad)
loop = GLib.MainLoop()
status = {"rc": 0}

def on_message(bus, message):
    if message.type == Gst.MessageType.EOS:
        loop.quit()
    elif message.type == Gst.MessageType.ERROR:
        err, debug = message.parse_error()
        print("error:", err.message, file=sys.stderr)
        status["rc"] = 1
        loop.quit()

bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect("message", on_message)
pipeline.set_state(Gst.State.PLAYING)
loop.run()
pipeline.set_state(Gst.State.NULL)
print(f"video={counts['video']} audio={counts['audio']}")
sys.exit(status["rc"])

#!/usr/bin/python3
# Plays a URI with GStreamer's playbin or playbin3 into fakesinks (synced
# to the clock, as a player shows them) and prints what was decoded as one
# JSON line.
#
# Usage: /usr/bin/python3 tests/gst/play.py URI playbin|playbin3 SECONDS GUARD KINDS
#
# SECONDS `end` plays the whole presentation as fast as it decodes
# (sinks not synced) until the end of the stream.
#
# KINDS is `video`, `audio` or `video,audio`: the kinds of stream the
# presentation holds. The run ends once SECONDS of media of every kind were
# decoded (counted from the first decoded buffer of that kind), at an error
# or the end of the stream, or after GUARD seconds of wall time whatever
# happens (a hang guard, not a timing expectation). Reported per kind: the
# decoded buffers (video frames), the media time they span, and the first
# and last buffer times, and for audio the decoded samples per channel;
# then every error and warning the pipeline posted.
#
# Needs python3-gi and GStreamer's introspection data (Debian:
# python3-gi, gir1.2-gstreamer-1.0).

import json
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    uri, element, seconds, guard, kinds = sys.argv[1:6]
    to_end = seconds == "end"
    seconds = 0.0 if to_end else float(seconds)
    guard = float(guard)
    kinds = kinds.split(",")
    Gst.init(None)
    pipeline = Gst.ElementFactory.make(element, None)
    if pipeline is None:
        print(json.dumps({"errors": [f"no element {element}"]}))
        return 1
    pipeline.set_property("uri", uri)
    lock = threading.Lock()
    seen = {k: {"buffers": 0, "first": None, "last": None, "samples": 0} for k in ("video", "audio")}

    def on_buffer(kind, buf, pad):
        if kind == "audio":
            caps = pad.get_current_caps()
            st = caps.get_structure(0) if caps else None
            if st is not None:
                channels = st.get_value("channels") or 1
                width = {"F32LE": 4, "S32LE": 4, "F64LE": 8, "S16LE": 2}.get(st.get_value("format"))
                if width is not None:
                    with lock:
                        seen[kind]["samples"] += buf.get_size() // (channels * width)
        t = buf.pts
        if t == Gst.CLOCK_TIME_NONE:
            return
        end = t + (buf.duration if buf.duration != Gst.CLOCK_TIME_NONE else 0)
        with lock:
            s = seen[kind]
            s["buffers"] += 1
            if s["first"] is None or t < s["first"]:
                s["first"] = t
            if s["last"] is None or end > s["last"]:
                s["last"] = end

    for kind in ("video", "audio"):
        sink = Gst.ElementFactory.make("fakesink", kind + "sink")
        sink.set_property("sync", not to_end)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", lambda _s, buf, pad, kind=kind: on_buffer(kind, buf, pad))
        pipeline.set_property(kind + "-sink", sink)

    errors, warnings = [], []
    ended = {"eos": False}
    loop = GLib.MainLoop()
    started = time.monotonic()

    def span(kind):
        s = seen[kind]
        if s["first"] is None:
            return 0.0
        return (s["last"] - s["first"]) / Gst.SECOND

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            errors.append(f"{msg.src.get_name()}: {err.message} ({debug})")
            loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            err, debug = msg.parse_warning()
            warnings.append(f"{msg.src.get_name()}: {err.message}")
        elif msg.type == Gst.MessageType.EOS:
            ended["eos"] = True
            loop.quit()
        elif msg.type == Gst.MessageType.BUFFERING:
            # A live source: keep playing while buffering, as players do.
            pass
        return True

    def check():
        with lock:
            done = not to_end and all(span(k) >= seconds for k in kinds)
        if done or time.monotonic() - started > guard:
            loop.quit()
            return False
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.timeout_add(100, check)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    with lock:
        out = {
            "element": element,
            "elapsed": round(time.monotonic() - started, 3),
            "eos": ended["eos"],
            "errors": errors,
            "warnings": warnings,
        }
        for k in ("video", "audio"):
            s = seen[k]
            out[k] = {
                "buffers": s["buffers"],
                "samples": s["samples"],
                "span": round(span(k), 3),
                "first": None if s["first"] is None else round(s["first"] / Gst.SECOND, 3),
                "last": None if s["last"] is None else round(s["last"] / Gst.SECOND, 3),
            }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# Serves a fixture with GStreamer's RTSP server (gst-rtsp-server) at
# rtsp://127.0.0.1:PORT/test, the port chosen by the system, and prints
# `PORT <n>` once it listens. Video goes through rtph264pay, or
# rtph265pay for a file whose name says h265 (parameter sets in band
# before each keyframe), audio through rtpmp4gpay; each
# client gets its own pipeline playing the file once in real time.
#
# Usage: /usr/bin/python3 tests/gst/rtsp_server.py FILE.mp4 [USER PASSWORD]
#
# With RTSP_PORT set in the environment it listens on that port instead
# (a server started again where a client knew it).
#
# With USER and PASSWORD, only Digest authentication as that user gets
# the stream (RTSPAuth); the others get 401.
#
# Needs python3-gi, gir1.2-gst-rtsp-server-1.0 and GStreamer's good and
# bad plugins (qtdemux, h264parse, aacparse, the payloaders).

import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main():
    path = sys.argv[1]
    credentials = sys.argv[2:4] if len(sys.argv) >= 4 else None
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(os.environ.get("RTSP_PORT", "0"))
    factory = GstRtspServer.RTSPMediaFactory()
    video = "h265" if "h265" in path.rsplit("/", 1)[-1] else "h264"
    factory.set_launch(
        f'( filesrc location="{path}" ! qtdemux name=d '
        f"d.video_0 ! queue ! {video}parse ! rtp{video}pay name=pay0 pt=96 config-interval=-1 "
        "d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )"
    )
    factory.set_shared(False)
    if credentials:
        user, password = credentials
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", user)
        auth.add_digest(user, password, token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role(user, "media.factory.access", True)
        permissions.add_permission_for_role(user, "media.factory.construct", True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory("/test", factory)
    if server.attach(None) == 0:
        print("ERROR could not attach", flush=True)
        return 1
    print(f"PORT {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

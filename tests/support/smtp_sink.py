#!/usr/bin/env python3
"""A real SMTP server for the mail tests (aiosmtpd): every accepted message
is written whole to DIR as <n>.eml, and beside it <n>.json with what the
tests read (the envelope's recipients, the decoded headers and the text and
HTML parts, as Python's email package parses them); a recipient whose address starts with
"bounce" is refused with 550, as a mailbox that does not exist would be.
Prints "listening on PORT" once it accepts connections; runs until killed.

    smtp_sink.py DIR [PORT]
"""
import email
import email.policy
import itertools
import json
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.numbers = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("bounce"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.numbers)
        path = os.path.join(self.folder, f"{n:06d}.eml")
        head = "X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n"
        with open(path + ".part", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".part", path)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        part = lambda kind: message.get_body((kind,))
        parsed = {
            "rcpt": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "in_reply_to": str(message.get("In-Reply-To", "")),
            "references": str(message.get("References", "")),
            "list_unsubscribe": str(message.get("List-Unsubscribe", "")),
            "list_unsubscribe_post": str(message.get("List-Unsubscribe-Post", "")),
            "text": part("plain").get_content() if part("plain") else "",
            "html": part("html").get_content() if part("html") else "",
        }
        json_path = path.replace(".eml", ".json")
        with open(json_path + ".part", "w") as f:
            json.dump(parsed, f)
        os.rename(json_path + ".part", json_path)
        return f"250 OK queued as {n}"


def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening on {controller.port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    main()

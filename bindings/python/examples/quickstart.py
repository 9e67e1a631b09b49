"""uvmapi quickstart: a transport written in Python, a store, and logoffs."""

import asyncio

import uvmapi
from uvmapi import Folder, Logoff, Message, Notify, Runtime, Transport


class InstantTransport(Transport):
    """A peer that accepts every message at once. Called on the loop thread."""

    def submit_message(self, send, message):
        print(f"sending to {message.recipients[0]}: {len(message.content)} bytes")
        self.support.complete_send(send)  # The peer has it: it moves to Sent Items.
        return None  # Taken (return uvmapi.MAPI_E_BUSY to refuse for now).

    def transport_notify(self, flags, activity):
        if flags & Notify.CANCEL_MESSAGE:  # ABORT: give the message back.
            self.support.complete_send(activity, uvmapi.MAPI_E_USER_CANCEL)


def main():
    with Runtime(drain_deadline=10, abort_deadline=2) as runtime:
        runtime.add_transport_provider(InstantTransport)

        store = runtime.open_store("mail")
        store.submit(Message("alice@example.org", ["bob@example.org"],
                             b"Subject: hello\r\n\r\nHello, Bob.\r\n"))
        print("sent items:", store.folder_count(Folder.SENT_ITEMS))

        # StoreLogoff + the release of the last reference, in one call.
        outcome = store.logoff(Logoff.ORDERLY, timeout=10)
        print("logoff:", outcome.flags_at_final.name, "released:", outcome.released)

        try:
            store.submit(Message("alice@example.org", ["bob@example.org"], b"late"))
        except uvmapi.InvalidObject as error:
            print("after logoff:", error.name)

        async def log_off_in_asyncio():
            archive = runtime.open_store("archive")
            return await archive.logoff_async(Logoff.NO_WAIT)

        print("async logoff:", asyncio.run(log_off_in_asyncio()).flags_at_final.name)


if __name__ == "__main__":
    main()

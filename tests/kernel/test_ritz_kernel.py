"""ritz as a Jupyter kernel, driven by Jupyter's own clients.

* `RitzKernelTests`: the conformance suite `jupyter_kernel_test` (kernel info, execute results,
  stdout, errors, completion, inspection, is_complete, history, the pager, display data and
  clear output), with ritz code.
* `InterruptAndRestartTests`: a long training cell interrupted through jupyter_client (by
  message and by SIGINT) returns promptly and keeps its partial run for the next cell; a restart
  gives a fresh session.
* `SignatureTests`: a message signed with the wrong key is dropped and logged, never run.

Run: `RITZ_BINARY=.build/release/ritz python -m pytest tests/kernel` in a venv with
jupyter_client, jupyter_kernel_test and pytest.
"""
import os
import signal
import tempfile
import time
import unittest

import ritz_kernelspec  # noqa: F401  (installs the kernelspec, sets JUPYTER_PATH)

import jupyter_kernel_test
import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

TIMEOUT = 60
# A training run far longer than any test waits: a million SGD steps on the digits.
LONG_TRAINING = (
    "data = digits() |> split(frac=0.8, seed=0)\n"
    "model = mlp([64, 32, 10], act=\"tanh\", seed=0)\n"
    "run = train(model, data.train, sgd(0.05), steps=1000000, batch=32, every=10)\n"
    "print(\"finished\")"
)


class RitzKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "ritz"
    language_name = "ritz"
    file_extension = ".ritz"

    code_hello_world = 'print("hello, world")'
    completion_samples = [
        {"text": "linsp", "matches": {"linspace"}},
        {"text": "zeros(3, 3) |> transp", "matches": {"transpose"}},
    ]
    complete_code_samples = ["x = 1", "f(1, 2)", "for i in 0:3 { print(i) }", "A = [1, 2; 3, 4]"]
    incomplete_code_samples = ["f(1,", "for i in 0:3 {", "x = [1, 2", "y = 1 +", "s = \"abc"]
    code_page_something = "?linspace"
    code_generate_error = "[1, 2] @ [1, 2, 3]"
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "sum([1, 2, 3])", "result": "6"},
        {"code": "plot([1, 4, 9])", "mime": "image/svg+xml"},
        {"code": "plot([1, 4, 9])", "mime": "application/vnd.ritz.plot+json"},
    ]
    code_history_pattern = "6 ?*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "linspace"
    code_display_data = [
        {"code": "display(plot([3, 1, 2]))", "mime": "image/svg+xml"},
        {"code": "display([1, 2, 3])", "mime": "text/plain"},
    ]
    code_clear_output = "print(\"gone\")\nclear_output()"

    def test_error_traceback_has_the_caret_diagnostic(self):
        self.flush_channels()
        reply, output_msgs = self.execute_helper("x = 1\ny = [1, 2] @ [1, 2, 3]")
        self.assertEqual(reply["content"]["status"], "error")
        traceback = "\n".join(output_msgs[0]["content"]["traceback"])
        self.assertIn("line 2", traceback)
        self.assertIn("^", traceback)
        self.assertIn("shape mismatch", output_msgs[0]["content"]["evalue"])

    def test_cells_queued_behind_an_error_are_aborted(self):
        self.flush_channels()
        ids = [self.kc.execute(code) for code in ["[1, 2] @ [1, 2, 3]", "after_error = 1", "2 + 2"]]
        replies = {}
        while len(replies) < len(ids):
            reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
            replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
        self.assertEqual([replies[i] for i in ids], ["error", "aborted", "aborted"])
        self.flush_channels()
        reply, _ = self.execute_helper("after_error")
        self.assertEqual(reply["content"]["status"], "error")

    def test_inspect_shows_a_value(self):
        self.flush_channels()
        self.execute_helper("weights = zeros(2, 3)")
        self.kc.inspect("weights", 3)
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertTrue(reply["content"]["found"])
        self.assertIn("shape: (2, 3)", reply["content"]["data"]["text/plain"])

    def test_live_training_plot_updates_in_place(self):
        self.flush_channels()
        code = ("data = digits() |> split(frac=0.8, seed=0)\n"
                "run = train(mlp([64, 16, 10], seed=0), data.train, sgd(0.1), steps=300, batch=32, every=5)")
        reply, output_msgs = self.execute_helper(code, timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        displays = [m for m in output_msgs if m["msg_type"] == "display_data"]
        updates = [m for m in output_msgs if m["msg_type"] == "update_display_data"]
        self.assertEqual(len(displays), 1)
        display_id = displays[0]["content"]["transient"]["display_id"]
        self.assertTrue(all(u["content"]["transient"]["display_id"] == display_id for u in updates))
        # The last update is the final state: the plot data holds all 61 history rows (0, 5, …, 300).
        final = (updates or displays)[-1]["content"]["data"]
        self.assertIn("image/svg+xml", final)
        series = final["application/vnd.ritz.plot+json"]["panels"][0]["layers"][0]
        self.assertEqual(series["count"], 61)
        # Bounded rate: at most 4 updates a second of the cell's run, plus the final one.
        started = displays[0]["header"]["date"]
        ended = output_msgs[-1]["header"]["date"]
        seconds = (ended - started).total_seconds()
        self.assertLessEqual(len(updates), 4 * seconds + 2)


class InterruptAndRestartTests(unittest.TestCase):
    def setUp(self):
        self.km = KernelManager(kernel_name="ritz")
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)

    def tearDown(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def execute(self, code, timeout=TIMEOUT):
        outputs = []
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
        return reply, outputs

    def interrupted_training(self, interrupt):
        """Starts the long training cell, interrupts it once its live plot shows, and returns
        the reply and the seconds from the interrupt to the reply."""
        msg_id = self.kc.execute(LONG_TRAINING)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "display_data":
                break
        time.sleep(0.5)
        interrupted_at = time.monotonic()
        interrupt()
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        return reply, time.monotonic() - interrupted_at

    def check_partial_run(self, reply, seconds):
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "interrupted")
        self.assertLess(seconds, 5.0, "the interrupt took too long")
        reply, outputs = self.execute("run.steps")
        self.assertEqual(reply["content"]["status"], "ok")
        steps = [float(o["content"]["data"]["text/plain"]) for o in outputs if o["msg_type"] == "execute_result"]
        self.assertEqual(len(steps), 1)
        self.assertGreater(steps[0], 0)
        self.assertLess(steps[0], 1000000)

    def test_interrupt_by_message_keeps_the_partial_run(self):
        reply, seconds = self.interrupted_training(self.km.interrupt_kernel)
        self.check_partial_run(reply, seconds)

    def test_interrupt_by_signal_keeps_the_partial_run(self):
        reply, seconds = self.interrupted_training(lambda: self.km.signal_kernel(signal.SIGINT))
        self.check_partial_run(reply, seconds)

    def test_restart_gives_a_fresh_session(self):
        reply, _ = self.execute("kept = 41 + 1")
        self.assertEqual(reply["content"]["status"], "ok")
        reply, outputs = self.execute("kept")
        self.assertEqual(reply["content"]["execution_count"], 2)
        self.km.restart_kernel(now=False)
        self.kc.wait_for_ready(timeout=TIMEOUT)
        reply, outputs = self.execute("kept")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["execution_count"], 1)


class SignatureTests(unittest.TestCase):
    def setUp(self):
        self.log = tempfile.NamedTemporaryFile(prefix="ritz-kernel-", suffix=".log", delete=False)
        self.km = KernelManager(kernel_name="ritz")
        self.km.start_kernel(stderr=self.log)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)
        info = self.km.get_connection_info()
        self.context = zmq.Context()
        self.shell = self.context.socket(zmq.DEALER)
        self.shell.linger = 0
        self.shell.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
        self.good = Session(key=self.km.session.key)
        self.bad = Session(key=b"not-the-key")

    def tearDown(self):
        self.shell.close()
        self.context.term()
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self.log.close()
        os.unlink(self.log.name)

    def request(self, session, code):
        msg = session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        session.send(self.shell, msg)
        return msg["header"]["msg_id"]

    def replies(self, session, timeout):
        out = []
        while self.shell.poll(int(timeout * 1000)):
            _, frames = session.feed_identities(self.shell.recv_multipart())
            out.append(session.deserialize(frames))
            timeout = 0.2
        return out

    def test_a_badly_signed_message_is_dropped_and_not_executed(self):
        self.request(self.bad, "forged = 1")
        self.assertEqual(self.replies(self.good, 1.5), [], "the kernel answered a forged message")
        msg_id = self.request(self.good, "forged")
        replies = self.replies(self.good, TIMEOUT)
        self.assertEqual([r["parent_header"]["msg_id"] for r in replies], [msg_id])
        self.assertEqual(replies[0]["content"]["status"], "error")  # `forged` was never defined
        self.assertIn("unknown name `forged`", replies[0]["content"]["evalue"])
        self.log.flush()
        with open(self.log.name) as f:
            self.assertIn("invalid signature", f.read())


if __name__ == "__main__":
    unittest.main()

"""A throwaway Dovecot IMAP server on loopback for the mail intake tests (Debian's dovecot-imapd,
installed by .ci/run). Plain-text login, one maildir per user under a temporary directory.

Run as root (CI) the mail processes take the ``dovecot`` system user and the login processes
``dovenull`` (Dovecot refuses root for both); run as anyone else, everything runs as that user.
"""

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = klientura-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {internal_user}
  }}
  unix_listener stats-writer {{
    user = {internal_user}
  }}
}}
"""


def available():
    return Path(DOVECOT).exists()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """``with Dovecot({"user": "password"}) as server: server.port``"""

    def __init__(self, users):
        self.users, self.port = dict(users), free_port()
        self.root = self.process = None

    def _identity(self):
        if os.geteuid() != 0:
            name = pwd.getpwuid(os.geteuid()).pw_name
            return name, name, os.geteuid(), os.getegid()
        mail = pwd.getpwnam("dovecot")
        return "dovenull", "dovecot", mail.pw_uid, mail.pw_gid

    def __enter__(self):
        login_user, internal_user, uid, gid = self._identity()
        # Its own directory straight under /tmp: Dovecot's unprivileged processes must reach it
        # (pytest's tmp_path lies under a directory only its user may enter).
        self.root = Path(tempfile.mkdtemp(prefix="klientura-dovecot-"))
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items()))
        if os.geteuid() == 0:
            os.chown(self.root / "mail", uid, gid)
            for path in (self.root, self.root / "run"):
                path.chmod(0o755)
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port, login_user=login_user,
                                        internal_user=internal_user, uid=uid, gid=grp.getgrgid(gid).gr_gid))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stdout.read().decode()} {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self):
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)

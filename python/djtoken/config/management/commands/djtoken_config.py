"""``manage.py djtoken_config``: this project's settings as a ``djtoken.toml``."""

import os
from typing import Any, Optional

from django.core.management.base import BaseCommand, CommandError, CommandParser

from djtoken.config.export import cache_password, database_password, export, write_private


class Command(BaseCommand):
    help = (
        "Write djtoken's configuration (djtoken.toml) from this project's settings: the Django "
        "version, the default database, TIME_ZONE, PASSWORD_HASHERS and their work factors, "
        "TOKEN_TIMEOUT_DAYS and the user model. Secrets go to files of their own, only when asked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="write the configuration here (default: standard output)")
        parser.add_argument(
            "--secret-key-file",
            help="also write SECRET_KEY to this file (mode 0600) and name it in the configuration",
        )
        parser.add_argument(
            "--secret-key-fallbacks-file",
            help="also write SECRET_KEY_FALLBACKS here, one per line (mode 0600); "
            "default: the secret key file's name with .fallbacks, when there are fallbacks",
        )
        parser.add_argument(
            "--database-password-file",
            help="also write the default database's PASSWORD to this file (mode 0600) and name it in the configuration",
        )
        parser.add_argument(
            "--cache-password-file",
            help="also write the session cache's password to this file (mode 0600) and name it in the configuration",
        )
        parser.add_argument("--force", action="store_true", help="overwrite existing files")

    def handle(
        self,
        *args: Any,
        output: Optional[str] = None,
        secret_key_file: Optional[str] = None,
        secret_key_fallbacks_file: Optional[str] = None,
        database_password_file: Optional[str] = None,
        cache_password_file: Optional[str] = None,
        force: bool = False,
        **kw: Any,
    ) -> None:
        from django.conf import settings

        passwords = [
            ("DATABASE_PASSWORD_FILE", database_password_file, database_password(settings)),
            ("SESSION_CACHE_PASSWORD_FILE", cache_password_file, cache_password(settings)),
        ]
        fallbacks = list(getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])
        if secret_key_file and fallbacks and not secret_key_fallbacks_file:
            secret_key_fallbacks_file = secret_key_file + ".fallbacks"
        written = export(
            secret_key_file=os.path.abspath(secret_key_file) if secret_key_file else None,
            secret_key_fallbacks_file=(
                os.path.abspath(secret_key_fallbacks_file) if secret_key_fallbacks_file and fallbacks else None
            ),
            database_password_file=os.path.abspath(database_password_file) if database_password_file else None,
            cache_password_file=os.path.abspath(cache_password_file) if cache_password_file else None,
        )
        # Every folder checked before anything is written: no half-written configuration.
        targets = [
            ("--secret-key-file", secret_key_file),
            ("--secret-key-fallbacks-file", secret_key_fallbacks_file if fallbacks else None),
            ("--database-password-file", database_password_file),
            ("--cache-password-file", cache_password_file),
            ("--output", output),
        ]
        for flag, path in targets:
            folder = os.path.dirname(os.path.abspath(path)) if path else None
            if folder and not os.path.isdir(folder):
                raise CommandError("%s %s: the folder %s does not exist; create it first" % (flag, path, folder))
        try:
            if secret_key_file:
                write_private(secret_key_file, settings.SECRET_KEY + "\n", force)
            if secret_key_fallbacks_file and fallbacks:
                write_private(secret_key_fallbacks_file, "".join(k + "\n" for k in fallbacks), force)
            for key, path, password in passwords:
                # Only a file the configuration names (a cache the sessions do not use has none).
                if path and password and "\n%s = " % key in written.text:
                    write_private(path, password + "\n", force)
            if output:
                if os.path.exists(output) and not force:
                    raise FileExistsError(output)
                with open(output, "w") as f:
                    f.write(written.text)
            else:
                self.stdout.write(written.text, ending="")
        except FileExistsError as e:
            raise CommandError("%s exists; pass --force to overwrite it" % e) from e
        except OSError as e:
            raise CommandError("%s: %s" % (e.filename, e.strerror)) from e
        for problem in written.problems:
            self.stderr.write("djtoken_config: %s" % problem)
        if output:
            self.stderr.write("djtoken_config: wrote %s" % output)

"""``PASSWORD_HASHERS`` classes that do the hashing in Rust.

Each class subclasses Django's own, keeps its ``algorithm`` name, work factors and string
format, and replaces only the part that hashes. Hashes written by one are read by the
other, so a site switches to these and back without rehashing anyone::

    PASSWORD_HASHERS = [
        "djtoken.hashers.PBKDF2PasswordHasher",
        "djtoken.hashers.PBKDF2SHA1PasswordHasher",
        "djtoken.hashers.Argon2PasswordHasher",
        "djtoken.hashers.BCryptSHA256PasswordHasher",
        "djtoken.hashers.ScryptPasswordHasher",
    ]

Each class is defined where the installed Django has its base: ``ScryptPasswordHasher`` from
Django 4.0 on. Work factors come from the class attributes (``iterations``, ``time_cost``…), so a
project's subclass that changes them works as with Django's classes. Hashing releases the
interpreter lock: several threads hash at once. Argon2 and bcrypt need neither argon2-cffi
nor bcrypt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

from django.conf import global_settings as _global_settings
from django.contrib.auth import hashers as _django
from django.utils.encoding import force_bytes, force_str

from . import _djtoken as _native

__all__ = [
    "Argon2PasswordHasher",
    "BCryptPasswordHasher",
    "BCryptSHA256PasswordHasher",
    "MD5PasswordHasher",
    "PASSWORD_HASHERS",
    "PBKDF2PasswordHasher",
    "PBKDF2SHA1PasswordHasher",
    "ScryptPasswordHasher",
]


class _Capped:
    """``verify`` of a stored hash that asks for more work than djtoken allows (20 M PBKDF2
    iterations, bcrypt cost 16, 256 MiB of Argon2 — or the class's own factors, if higher) is
    ``False``, as ``djtoken serve`` refuses it: a planted hash must not pin a worker for
    seconds. Encoding with such factors raises ``ValueError``."""

    def verify(self, password: Union[str, bytes], encoded: str) -> bool:
        try:
            return super().verify(password, encoded)  # type: ignore[misc]  # a mixin before a hasher
        except _native.WorkFactorTooHigh:
            return False


def _check_encode_args(password: object, salt: object) -> None:
    # Django 4.2+'s _check_encode_args; 3.2 asserted the same.
    if password is None:
        raise TypeError("password must be provided.")
    if not salt or "$" in force_str(salt):
        raise ValueError("salt must be provided and cannot contain $.")


class PBKDF2PasswordHasher(_Capped, _django.PBKDF2PasswordHasher):
    """``pbkdf2_sha256``, at the installed Django's ``iterations``."""

    _digest_name = "sha256"

    def encode(self, password: Union[str, bytes], salt: str, iterations: Optional[int] = None) -> str:
        _check_encode_args(password, salt)
        iterations = iterations or self.iterations
        return _native.pbkdf2_encode(
            self._digest_name, force_bytes(password), force_str(salt), iterations, self.iterations
        )


class PBKDF2SHA1PasswordHasher(PBKDF2PasswordHasher):
    """``pbkdf2_sha1``."""

    algorithm = "pbkdf2_sha1"
    digest = _django.PBKDF2SHA1PasswordHasher.digest
    _digest_name = "sha1"


@dataclass(frozen=True)
class Argon2Parameters:
    """What argon2-cffi's ``extract_parameters`` gives, for ``decode()["params"]``."""

    type: str
    version: int
    salt_len: int
    hash_len: int
    time_cost: int
    memory_cost: int
    parallelism: int


class Argon2PasswordHasher(_django.Argon2PasswordHasher):
    """``argon2`` (argon2id; reads Django ≤ 3.1's argon2i too), without argon2-cffi."""

    library = None

    def _load_library(self) -> None:
        return None

    def encode(self, password: Union[str, bytes], salt: Union[str, bytes]) -> str:
        return _native.argon2_encode(
            force_bytes(password), force_bytes(salt), self.time_cost, self.memory_cost, self.parallelism
        )

    def _decoded(self, encoded: str) -> tuple[dict[str, Any], bool]:
        return _native.argon2_decode(encoded, self.time_cost, self.memory_cost, self.parallelism)

    def decode(self, encoded: str) -> dict[str, Any]:
        decoded, _ = self._decoded(encoded)
        hash_len = len(decoded["hash"]) * 3 // 4
        decoded["params"] = Argon2Parameters(
            type=decoded["variety"][len("argon2") :].upper(),
            version=decoded["version"],
            salt_len=len(decoded["salt"]),
            hash_len=hash_len,
            time_cost=decoded["time_cost"],
            memory_cost=decoded["memory_cost"],
            parallelism=decoded["parallelism"],
        )
        return decoded

    def verify(self, password: Union[str, bytes], encoded: str) -> bool:
        try:
            return _native.argon2_verify(
                force_bytes(password), encoded, self.time_cost, self.memory_cost, self.parallelism
            )
        except _native.WorkFactorTooHigh:
            return False

    def must_update(self, encoded: str) -> bool:
        _, must_update = self._decoded(encoded)
        return must_update

    def params(self) -> Argon2Parameters:
        return Argon2Parameters("ID", 19, 16, 32, self.time_cost, self.memory_cost, self.parallelism)


class BCryptSHA256PasswordHasher(_Capped, _django.BCryptSHA256PasswordHasher):
    """``bcrypt_sha256``, without the bcrypt package."""

    library = None
    _sha256_first = True

    def _load_library(self) -> None:
        return None

    def salt(self) -> bytes:
        return _native.bcrypt_gensalt(self.rounds).encode("ascii")

    def encode(self, password: Union[str, bytes], salt: Union[str, bytes]) -> str:
        return _native.bcrypt_encode(force_bytes(password), force_bytes(salt), self._sha256_first, self.rounds)


class BCryptPasswordHasher(BCryptSHA256PasswordHasher):
    """``bcrypt``: passwords over 72 bytes raise ``ValueError``, as with bcrypt ≥ 5."""

    algorithm = "bcrypt"
    digest = None
    _sha256_first = False


if hasattr(_django, "ScryptPasswordHasher"):

    class ScryptPasswordHasher(_django.ScryptPasswordHasher):
        """``scrypt`` (Django 4.0+), with OpenSSL's 32 MiB ceiling as Django's ``maxmem=0``."""

        def encode(
            self,
            password: Union[str, bytes],
            salt: str,
            n: Optional[int] = None,
            r: Optional[int] = None,
            p: Optional[int] = None,
        ) -> str:
            _check_encode_args(password, salt)
            n = n or self.work_factor
            r = r or self.block_size
            p = p or self.parallelism
            return _native.scrypt_encode(force_bytes(password), force_str(salt), n, r, p)

else:
    __all__.remove("ScryptPasswordHasher")


class MD5PasswordHasher(_django.MD5PasswordHasher):
    """``md5`` (never a good choice; here for databases that hold such hashes)."""

    def encode(self, password: Union[str, bytes], salt: str) -> str:
        _check_encode_args(password, salt)
        return _native.md5_encode(force_bytes(password), force_str(salt))


def _ours(path: str) -> str:
    name = path.rsplit(".", 1)[1]
    return "djtoken.hashers." + name if name in __all__ else path


#: The installed Django's default ``PASSWORD_HASHERS``, with djtoken's class wherever it has
#: one: ``PASSWORD_HASHERS = djtoken.hashers.PASSWORD_HASHERS`` in a project's settings.
PASSWORD_HASHERS = [_ours(path) for path in _global_settings.PASSWORD_HASHERS]

"""Private-key loading and JWT algorithm choice for the OAuth 2.0 client-credentials flow.

Errors never quote the key material: a PEM pasted into the wrong argument must not end up in a log.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["PrivateKey", "choose_algorithm", "load_private_key"]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

RSA_ALGORITHMS = ("PS256", "PS384", "PS512")
EC_ALGORITHM_BY_CURVE = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
ALLOWED_ALGORITHMS = (*RSA_ALGORITHMS, *EC_ALGORITHM_BY_CURVE.values())


def _pem_bytes(source: str | bytes | os.PathLike[str]) -> bytes:
    if isinstance(source, bytes):
        if b"-----BEGIN" not in source:
            raise ValueError("private_key bytes are not PEM (no '-----BEGIN' line)")
        return source
    if isinstance(source, str) and "-----BEGIN" in source:
        return source.encode("utf-8")
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if not text.strip():
            raise ValueError("private_key is empty")
        if len(text) > 4096 or "\n" in text:
            raise ValueError("private_key is neither PEM text nor a file path")
        path = Path(text).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read private key file {str(path)!r}: {exc.strerror}") from None
        if b"-----BEGIN" not in data:
            raise ValueError(f"private key file {str(path)!r} is not PEM")
        return data
    raise TypeError(f"private_key must be PEM str, bytes or a path, not {type(source).__name__}")


def load_private_key(
    source: str | bytes | os.PathLike[str], passphrase: str | bytes | None = None
) -> PrivateKey:
    """Load an RSA or EC private key from PEM text, PEM bytes or a file path; ``ValueError`` otherwise.

    Examples:
        ```python
        key = load_private_key(Path("private.pem"))
        ```
    """
    data = _pem_bytes(source)
    password = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as exc:
        # cryptography says TypeError for "encrypted but no password" and the reverse.
        if password is None:
            raise ValueError("the private key is encrypted: pass passphrase=...") from None
        raise ValueError("a passphrase was given but the private key is not encrypted") from exc
    except ValueError:
        if password is not None:
            raise ValueError("could not load the private key: malformed PEM or wrong passphrase") from None
        raise ValueError("could not load the private key: malformed or unsupported PEM") from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ValueError(f"RSA key of {key.key_size} bits is too small (NetSuite takes 3072 or 4096)")
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in EC_ALGORITHM_BY_CURVE:
            raise ValueError(f"EC curve {key.curve.name} is not accepted (use P-256, P-384 or P-521)")
        return key
    raise ValueError(f"{type(key).__name__} keys are not accepted: use RSA or EC (P-256/384/521)")


def choose_algorithm(key: PrivateKey, algorithm: str | None) -> str:
    """The JWS ``alg`` for ``key``: PS256 for RSA, ES256/384/512 by EC curve, or a checked explicit choice.

    Examples:
        ```python
        choose_algorithm(load_private_key(pem), None)   # "ES256" for a P-256 key
        ```
    """
    if algorithm is not None:
        if not isinstance(algorithm, str):
            raise TypeError("algorithm must be a str such as 'PS256' or 'ES256'")
        algorithm = algorithm.upper()
        if algorithm.startswith("RS"):
            raise ValueError(
                f"{algorithm} is not accepted by NetSuite's client-credentials flow; "
                "RSA keys sign with PS256, PS384 or PS512 (RSASSA-PSS)"
            )
        if algorithm not in ALLOWED_ALGORITHMS:
            raise ValueError(f"algorithm must be one of {', '.join(ALLOWED_ALGORITHMS)}, not {algorithm!r}")
    if isinstance(key, rsa.RSAPrivateKey):
        if algorithm is None:
            return "PS256"
        if algorithm not in RSA_ALGORITHMS:
            raise ValueError(f"{algorithm} needs an EC key, but the private key is RSA; use PS256")
        return algorithm
    expected = EC_ALGORITHM_BY_CURVE[key.curve.name]
    if algorithm is None:
        return expected
    if algorithm != expected:
        raise ValueError(
            f"the private key is EC {key.curve.name}, which signs with {expected}, not {algorithm}"
        )
    return algorithm

"""The shop's API: counts visits in Redis."""

import os

import redis
from flask import Flask, jsonify


def redis_password():
    """Read the Redis password from the file the Secret volume provides."""
    path = os.environ.get("REDIS_PASSWORD_FILE", "/run/secrets/redis/password")
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


app = Flask(__name__)
store = redis.Redis(
    host=os.environ.get("REDIS_HOST", "redis"),
    port=int(os.environ.get("REDIS_PORT", "6379")),
    password=redis_password(),
    socket_timeout=2,
)


@app.get("/healthz")
def healthz():
    """Liveness: the process answers."""
    return "ok"


@app.get("/readyz")
def readyz():
    """Readiness: Redis answers too."""
    store.ping()
    return "ok"


@app.post("/api/visits")
def visits():
    """Count a visit and return the total."""
    return jsonify(visits=store.incr("visits"))

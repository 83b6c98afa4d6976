"""Django settings for the example: a JSON API with no database, templates or sessions."""

from __future__ import annotations

import os

DEBUG = False
# A real deployment reads this from the environment (or Secrets Manager) and never ships it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
# The hosts AWS front doors put in the Host header: API Gateway and ALB (*.amazonaws.com),
# Function URLs and VPC Lattice (*.on.aws), CloudFront (*.cloudfront.net); and this machine,
# for `lambda-asgi serve`. Set DJANGO_ALLOWED_HOSTS to your own domains in a real deployment.
ALLOWED_HOSTS = os.environ.get(
    "DJANGO_ALLOWED_HOSTS", ".amazonaws.com,.on.aws,.cloudfront.net,localhost,127.0.0.1"
).split(",")
ROOT_URLCONF = "examples.django_app.urls"
INSTALLED_APPS = ["examples.django_app.apps.ItemsConfig"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    # route_template in the scope, for the access log and metrics by route
    "lambda_asgi.django.RouteTemplateMiddleware",
]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

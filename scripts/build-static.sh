#!/bin/sh
# Build static/dist from node_modules (never edited by hand): GOV.UK Frontend's
# JavaScript and assets copied as they are, its Sass compiled with our settings.
set -eu
cd "$(dirname "$0")/.."
out=static/dist
rm -rf "$out"
mkdir -p "$out/govuk"
govuk=node_modules/govuk-frontend/dist/govuk
cp "$govuk/govuk-frontend.min.js" "$out/govuk/"
cp -R "$govuk/assets" "$out/govuk/assets"
cp static/src/app.js static/src/session-timeout.js static/src/admin.css "$out/"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx.min.js"
node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps --load-path=node_modules \
  static/src/app.scss "$out/app.css"
echo "static assets built in $out"

#!/usr/bin/env bash
# Debian packages the tool and its tests use: Tesseract (OCR of scanned pages) with the
# languages of the corpora we meet (English, Portuguese, Spanish, Italian, Chinese).
set -euo pipefail
need=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-por tesseract-ocr-spa tesseract-ocr-ita tesseract-ocr-chi-tra tesseract-ocr-chi-sim)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

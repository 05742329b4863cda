#!/bin/sh
# Rebuilds the bundled samples from the public-domain NASA portrait (scikit-image's "astronaut") with our own
# `ugpnet degrade`. Run from the repository root: sh samples/make-samples.sh [PATH/TO/astronaut.png]
set -e
SRC=${1:-../shared/data/natural/astronaut.png}
UGPNET="dotnet run -c Release --project src/UGPNet.Cli --"
# 0. the whole photograph, noisy, for the README's main command (denoise)
$UGPNET degrade -i "$SRC" -o samples/astronaut-photo-noise.png --task denoise --seed 0
# 1. the face: a 128x128 crop (hair line to chin) of the 512x512 photograph
$UGPNET degrade -i "$SRC" -o samples/astronaut-face.png --degradation none --crop 160,48,128,128
# 2. the 64-px demo models' size (64x64 faces): MATLAB-style antialiased bicubic /2
$UGPNET degrade -i samples/astronaut-face.png -o samples/astronaut-face-64.png --degradation sr:scale=2
# 3. one degraded copy per task (seed 0; each image's generator comes from the seed and the input file name);
#    the 128-px demo models (denoise, deblur, sr4: 32 -> 128 px) start from the 128-px crop
$UGPNET degrade -i samples/astronaut-face.png -o samples/astronaut-face-noise.png --task denoise --seed 0
$UGPNET degrade -i samples/astronaut-face.png -o samples/astronaut-face-blur.png --task deblur --seed 0
$UGPNET degrade -i samples/astronaut-face-64.png -o samples/astronaut-face-8-sr8.png --task sr8 --seed 0
$UGPNET degrade -i samples/astronaut-face.png -o samples/astronaut-face-32-sr4.png --task sr4 --seed 0

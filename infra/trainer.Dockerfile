# syntax=docker/dockerfile:1
# The trainer image: built with the CUDA build of LibTorch (-p:TorchDevice=cuda), run on an NVIDIA CUDA runtime base
# with the .NET runtime, as a non-root user, `pipeline-worker` (trainer/Pipeline.Worker) as the entry point.
# Build context: the repository root, filtered by the root .dockerignore to the sources copied below.

ARG DOTNET_VERSION=10.0
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04

# ---- build: restore first (cached while only sources change), then publish framework-dependent for linux-x64.
# Publish restores again for its own runtime and device (a no-op after the restore layer): a stale obj/ can never
# decide which LibTorch the image gets.
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
COPY .editorconfig global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY shared/Pipeline.Shared/Pipeline.Shared.csproj shared/Pipeline.Shared/
COPY trainer/Pipeline.Training/Pipeline.Training.csproj trainer/Pipeline.Training/
COPY trainer/Pipeline.Worker/Pipeline.Worker.csproj trainer/Pipeline.Worker/
RUN dotnet restore trainer/Pipeline.Worker/Pipeline.Worker.csproj -r linux-x64 -p:TorchDevice=cuda
COPY shared/Pipeline.Shared/ shared/Pipeline.Shared/
COPY trainer/Pipeline.Training/ trainer/Pipeline.Training/
COPY trainer/Pipeline.Worker/ trainer/Pipeline.Worker/
RUN dotnet publish trainer/Pipeline.Worker/Pipeline.Worker.csproj -c Release -r linux-x64 --self-contained false \
        -p:TorchDevice=cuda -o /app

# ---- .NET runtime, taken from Microsoft's image of the same major version.
FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_VERSION} AS dotnet

# ---- runtime: CUDA user-space libraries + .NET runtime + the published trainer.
FROM ${CUDA_IMAGE} AS runtime
# libgomp1: LibTorch's OpenMP runtime; ca-certificates: TLS to Storage, Service Bus and Entra ID.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libgomp1 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin trainer \
    && mkdir -p /work /tmp/pipeline && chown trainer:trainer /work /tmp/pipeline
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_gcServer=0 \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    PIPELINE_HEARTBEAT_FILE=/tmp/pipeline/heartbeat \
    Worker__Device=cuda \
    Worker__WorkDirectory=/work/runs \
    Worker__CacheDirectory=/work/cache
COPY --from=build /app /app
WORKDIR /work
USER trainer

# The worker touches PIPELINE_HEARTBEAT_FILE at least once a minute while it polls or trains; stale for 5 minutes
# means it is stuck.
HEALTHCHECK --interval=60s --timeout=10s --start-period=180s --retries=3 \
    CMD test -f "$PIPELINE_HEARTBEAT_FILE" && test $(( $(date +%s) - $(stat -c %Y "$PIPELINE_HEARTBEAT_FILE") )) -lt 300

# SIGTERM (docker stop, Container Apps scale-in or replica timeout) reaches the .NET host as PID 1: the worker stops
# after writing a checkpoint and abandons its message so the run resumes elsewhere.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/pipeline-worker"]

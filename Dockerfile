# The launch container image. goreleaser builds it (dockers_v2 in
# .goreleaser.yaml) from the static linux binaries it built, placed in the
# build context as linux/amd64/launch and linux/arm64/launch.
# distroless/static: CA certificates, tzdata, /etc/passwd; no shell, no libc.
FROM gcr.io/distroless/static:nonroot

ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/launch /usr/local/bin/launch

LABEL org.opencontainers.image.title="launch" \
      org.opencontainers.image.description="Deploys agent containers to AWS ECS Fargate from one YAML spec" \
      org.opencontainers.image.source="https://github.com/launchdeploy/launch" \
      org.opencontainers.image.url="https://github.com/launchdeploy/launch"

# 65532 is distroless's "nonroot" user.
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/launch"]

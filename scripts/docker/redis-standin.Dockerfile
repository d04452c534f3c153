# Stand-in for the official redis:7-bookworm, for machines without an image registry: Debian's Redis 7,
# with the official image's user (redis, uid 999) and working directory (/data).
FROM debian:bookworm-slim
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid redis --home-dir /data redis \
 && apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir /data && chown redis:redis /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server"]

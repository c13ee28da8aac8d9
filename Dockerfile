# rindle-worker on Debian 12, built from this repository.
FROM debian:12 AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake pkg-config libpqxx-dev libboost-dev libboost-program-options-dev \
      libsimdjson-dev libspdlog-dev catch2 libssl-dev zlib1g-dev libhowardhinnant-date-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DOBAN_BUILD_TESTS=OFF \
    && cmake --build build -j"$(nproc)" --target rindle-worker

FROM debian:12-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libpqxx-6.4 libboost-program-options1.74.0 libsimdjson14 libspdlog1.10 libssl3 zlib1g \
      tzdata ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/rindle-worker /usr/local/bin/rindle-worker
# libdate-tz ships only in the -dev package on Debian 12.
COPY --from=build /usr/lib/x86_64-linux-gnu/libdate-tz.so.3* /usr/lib/x86_64-linux-gnu/
USER nobody
ENTRYPOINT ["rindle-worker"]
CMD ["run"]

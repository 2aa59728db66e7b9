# The image deploy/*.yaml run: the testbots CLI (coordinator, worker, run, simnet, ...).
#   docker build -t testbots:latest .          (from the repo root; see deploy/README.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /opt/testbots

# The same pyproject.toml as a checkout: its build backend needs the README and the packages.
COPY pyproject.toml README.md ./
COPY botruntime ./botruntime
COPY simnet ./simnet
COPY testbots_dagster ./testbots_dagster
RUN pip install . && testbots --help >/dev/null

# Scenario files are data beside the code, not part of the package: ids resolve here.
COPY scenarios ./scenarios

# A fixed numeric uid, so Kubernetes can check `runAsNonRoot` without reading /etc/passwd.
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin testbots
USER 10001
ENV TESTBOTS_SCENARIOS=/opt/testbots/scenarios \
    TESTBOTS_HOME=/home/testbots/.testbots

# coordinator gRPC, worker gRPC health, coordinator Prometheus /metrics
EXPOSE 7470 7471 9464
ENTRYPOINT ["testbots"]
CMD ["--help"]

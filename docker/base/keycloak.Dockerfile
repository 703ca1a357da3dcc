# The layout of the official Keycloak image, on a Debian bookworm root file system with
# OpenJDK 17 (see ../build-base-image.sh, which prepares this context).
ARG ROOTFS_IMAGE=nhi-guard/debian-jre:bookworm
FROM ${ROOTFS_IMAGE}

ENV LANG=C.UTF-8
# Keycloak adapts its defaults (e.g. logging, file locations) when it knows it runs in a container.
ENV KC_RUN_IN_CONTAINER=true

COPY --chown=1000:0 keycloak /opt/keycloak

RUN echo "keycloak:x:0:root" >> /etc/group \
 && echo "keycloak:x:1000:0:keycloak user:/opt/keycloak:/sbin/nologin" >> /etc/passwd

USER 1000
WORKDIR /opt/keycloak

EXPOSE 8080
EXPOSE 8443
EXPOSE 9000

ENTRYPOINT ["/opt/keycloak/bin/kc.sh"]

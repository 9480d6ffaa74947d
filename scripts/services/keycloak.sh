# Keycloak (the Quarkus distribution from Maven Central) in dev mode on port 8180, with the
# realm `jim` imported from deploy/keycloak/realm-jim.json. One instance serves both
# ./dev up and ./dev test. The zip is cached under $JIM_CACHE_DIR and unpacked there too
# (outside the repository), where its dev-mode database (data/h2) also lives; logs and the
# pid file are in $JIM_RUN_DIR/keycloak.
#
# Dev credentials (documented): bootstrap admin of the master realm admin/admin; realm
# users alice, bob, carol, admin with password = username.

KEYCLOAK_VERSION=${KEYCLOAK_VERSION:-26.5.6}
# sha1 published by Maven Central beside the zip (…/keycloak-quarkus-dist-26.5.6.zip.sha1).
KEYCLOAK_SHA1_26_5_6=756c15bb71be020dd4a43a6fdb3c1340cb84d4b5
KEYCLOAK_PORT=${KEYCLOAK_PORT:-8180}
KEYCLOAK_REALM_FILE=$JIM_ROOT/deploy/keycloak/realm-jim.json
KEYCLOAK_HOME=$JIM_CACHE_DIR/keycloak-$KEYCLOAK_VERSION
KEYCLOAK_RUN=$JIM_RUN_DIR/keycloak

keycloak_url() { echo "http://127.0.0.1:$KEYCLOAK_PORT"; }
keycloak_ready() { curl -fs -o /dev/null --max-time 3 "$(keycloak_url)/realms/jim/.well-known/openid-configuration"; }

# keycloak_java: print a java binary of version >= 21 (Keycloak 26 needs it), or fail.
keycloak_java() {
  local candidate major
  for candidate in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
      /usr/lib/jvm/*/bin/java "$(command -v java 2>/dev/null || true)"; do
    [ -x "$candidate" ] || continue
    major=$("$candidate" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    major=${major%%.*}
    if [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

install_extra_keycloak() {
  if ! keycloak_java >/dev/null; then
    # Debian 12 ships OpenJDK 17 only; newer Debian releases ship openjdk-21.
    if apt-cache show openjdk-21-jre-headless >/dev/null 2>&1; then
      install_apt_packages openjdk-21-jre-headless
    fi
    keycloak_java >/dev/null || die "Keycloak $KEYCLOAK_VERSION needs Java 21 or newer and none was found \
(looked at \$JAVA_HOME, /usr/lib/jvm/*). Install a JDK >= 21 (e.g. Temurin 21/25 into /usr/lib/jvm) or set JAVA_HOME."
  fi
  local zip=$JIM_CACHE_DIR/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip
  local base=https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION
  if [ ! -s "$zip" ]; then
    log "downloading Keycloak $KEYCLOAK_VERSION from Maven Central (~165 MB, cached in $JIM_CACHE_DIR)"
    curl -fsSL --retry 3 -o "$zip.part" "$base/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip" \
      || die "could not download Keycloak $KEYCLOAK_VERSION"
    mv "$zip.part" "$zip"
  fi
  if [ ! -x "$KEYCLOAK_HOME/bin/kc.sh" ]; then
    local expected actual
    expected=$(curl -fsS --max-time 20 "$base/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip.sha1" 2>/dev/null \
      || true)
    [ "$KEYCLOAK_VERSION" = 26.5.6 ] && expected=$KEYCLOAK_SHA1_26_5_6
    actual=$(sha1sum "$zip" | cut -d' ' -f1)
    if [ -n "$expected" ] && [ "$expected" != "$actual" ]; then
      rm -f "$zip"
      die "the Keycloak zip's sha1 ($actual) differs from Maven Central's ($expected); removed it, run again"
    fi
    log "unpacking Keycloak into $KEYCLOAK_HOME"
    rm -rf "$KEYCLOAK_HOME.tmp" && mkdir -p "$KEYCLOAK_HOME.tmp"
    unzip -q "$zip" -d "$KEYCLOAK_HOME.tmp" || die "could not unpack $zip"
    rm -rf "$KEYCLOAK_HOME"
    mv "$KEYCLOAK_HOME.tmp/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_HOME"
    rm -rf "$KEYCLOAK_HOME.tmp"
  fi
}

start_keycloak() {
  if keycloak_ready; then
    return 0
  fi
  install_extra_keycloak
  local java pidfile=$KEYCLOAK_RUN/keycloak.pid
  java=$(keycloak_java) || die "no Java >= 21 for Keycloak"
  mkdir -p "$KEYCLOAK_RUN" "$KEYCLOAK_HOME/data/import"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "Keycloak is starting (pid $(cat "$pidfile")); waiting for it"
  else
    # The dev database is recreated whenever the realm file changed, so the realm users see
    # is always the one in the repository (Keycloak's import skips a realm that exists).
    local stamp=$KEYCLOAK_RUN/realm.sha1 digest
    digest=$(sha1sum "$KEYCLOAK_REALM_FILE" | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
      rm -rf "$KEYCLOAK_HOME/data/h2"
      echo "$digest" > "$stamp"
    fi
    cp "$KEYCLOAK_REALM_FILE" "$KEYCLOAK_HOME/data/import/realm-jim.json"
    log "starting Keycloak $KEYCLOAK_VERSION on port $KEYCLOAK_PORT ($java)"
    JAVA_HOME=$(dirname "$(dirname "$java")") \
    KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
    JAVA_OPTS_KC_HEAP="-XX:MaxRAMPercentage=10 -XX:InitialRAMPercentage=2" \
      setsid "$KEYCLOAK_HOME/bin/kc.sh" start-dev \
        --http-port="$KEYCLOAK_PORT" --http-host=127.0.0.1 \
        --import-realm --log=file --log-file="$KEYCLOAK_RUN/keycloak.log" \
        >"$KEYCLOAK_RUN/stdout.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
  fi
  wait_for "Keycloak" 240 keycloak_ready \
    || die "Keycloak did not become ready on port $KEYCLOAK_PORT; see $KEYCLOAK_RUN/keycloak.log"
}

stop_keycloak() {
  local pidfile=$KEYCLOAK_RUN/keycloak.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM -- "-$(cat "$pidfile")" 2>/dev/null || kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

start_app_keycloak() { start_keycloak; }
start_test_keycloak() { start_keycloak; }
stop_app_keycloak() { stop_keycloak; }

status_keycloak() {
  if keycloak_ready; then
    printf '  %-10s %s\n' keycloak "up      $(keycloak_url)  (realm jim; admin console: admin/admin)"
  else
    printf '  %-10s %s\n' keycloak "down"
  fi
}

#!/bin/bash
# deploy/certs.sh: a private certificate authority for nhanluc, with openssl.
#
#   deploy/certs.sh [--force] DIR ca                          the CA: DIR/ca.key, DIR/ca.crt
#   deploy/certs.sh [--force] DIR server HOST... [--days N]   DIR/server.key, DIR/server.crt
#   deploy/certs.sh [--force] DIR client UNIT [--days N]      DIR/client-UNIT.key, .crt
#   deploy/certs.sh --help
#
# ca      a self-signed CA certificate: basicConstraints critical CA:TRUE with
#         pathlen 0, keyUsage critical keyCertSign + cRLSign, valid 10 years.
# server  a certificate for nhanlucd signed by the CA, with a subjectAltName for
#         every HOST (a DNS name such as nhanluc.example.vn or localhost, or an
#         IPv4/IPv6 address such as 127.0.0.1 or ::1; each goes in the right
#         field), extendedKeyUsage serverAuth, valid 825 days (--days: 1..825).
# client  a certificate for one unit's office: subject CN=UNIT and the
#         subjectAltName URI urn:nhanluc:unit:UNIT, by which the server ties the
#         certificate to the unit; extendedKeyUsage clientAuth, valid 365 days
#         (--days: 1..825). UNIT is a unit code: 1-64 of [a-z0-9-].
#
# Keys are ECDSA P-256 (prime256v1): 128-bit security like RSA 3072, but a
# handshake signature costs a fraction of an RSA 3072 one (new TLS connections
# per second is a benchmark figure), keys and certificates are small, and
# OpenSSL 3 and gRPC's TLS stack both support it. Signatures are SHA-256.
#
# Files: keys are mode 0600, certificates 0644; DIR is created mode 0700 if it
# does not exist. Nothing is overwritten: an existing CA, server or client
# certificate or key makes the command fail unless --force is given (a new
# CA invalidates every certificate the old one signed). Files are written in a
# temporary directory inside DIR and moved into place once the new certificate
# verifies against DIR/ca.crt, so a failure leaves DIR as it was. No private
# key is ever printed; stdout gets one line per certificate written (subject,
# expiry, SHA-256 fingerprint).
#
# Keep ca.key off the server: nhanlucd needs ca.crt (--tls-client-ca) and
# server.key/server.crt only; each office needs ca.crt and its own client pair.
# Keys are not encrypted; protect them with file permissions and storage.
#
# Exit status: 0 done, 1 failure (existing files without --force, no CA, an
# openssl error), 64 usage error (unknown option, bad DIR/HOST/UNIT/--days).
set -euo pipefail
umask 077

prog=deploy/certs.sh
SERVER_MAX_DAYS=825
CLIENT_MAX_DAYS=825
CA_DAYS=3650

say() { printf 'certs: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}
usage_error() {
    say "$*"
    echo "usage: $prog [--force] DIR ca | DIR server HOST... [--days N] |" \
        "DIR client UNIT [--days N]  (--help for more)" >&2
    exit 64
}
help() {
    # The comment block at the top of this file, without the '#'s.
    sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
}

command -v openssl >/dev/null 2>&1 || die "openssl not found in PATH (apt-get install openssl)"

# ---------------------------------------------------------------- arguments
force=0
days=""
pos=()
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        help
        exit 0
        ;;
    --force) force=1 ;;
    --days)
        [ $# -ge 2 ] || usage_error "--days needs a value"
        days=$2
        shift
        ;;
    --days=*) days=${1#--days=} ;;
    --)
        shift
        pos+=("$@")
        break
        ;;
    -*) usage_error "unknown option '$1'" ;;
    *) pos+=("$1") ;;
    esac
    shift
done

[ ${#pos[@]} -ge 2 ] || usage_error "need DIR and a command (ca, server or client)"
dir=${pos[0]}
cmd=${pos[1]}
args=("${pos[@]:2}")
[ -n "$dir" ] || usage_error "DIR is empty"

# check_days MAX DEFAULT: $days checked to be 1..MAX, or DEFAULT when not given.
check_days() {
    local max=$1 default=$2
    if [ -z "$days" ]; then
        days=$default
        return
    fi
    if ! [[ $days =~ ^[0-9]{1,5}$ ]] || [ $((10#$days)) -lt 1 ] ||
        [ $((10#$days)) -gt "$max" ]; then
        usage_error "--days '$days': must be a whole number of days from 1 to $max"
    fi
    days=$((10#$days))
}

# is_ipv4 S: 0 if S is a dotted-quad IPv4 address.
is_ipv4() {
    local IFS=. octets o
    [[ $1 =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
    read -ra octets <<<"$1"
    for o in "${octets[@]}"; do
        [ $((10#$o)) -le 255 ] || return 1
    done
}

# is_ipv6 S: 0 if S is an IPv6 address: groups of 1-4 hex digits, at most one
# "::", an optional trailing dotted quad (::ffff:192.0.2.1).
is_ipv6() {
    local s=$1 head tail part groups=0
    local -a parts
    [[ $s == *:* && $s =~ ^[0-9A-Fa-f:.]+$ ]] || return 1
    if [[ $s == *.* ]]; then
        [[ $s =~ ^(.*:)([0-9.]+)$ ]] || return 1
        head=${BASH_REMATCH[1]}
        is_ipv4 "${BASH_REMATCH[2]}" || return 1
        s="${head}0:0" # the quad counts as two groups
    fi
    case $s in
    *::*::*) return 1 ;;
    *::*)
        head=${s%%::*}
        tail=${s#*::}
        ;;
    *)
        head=$s
        tail=""
        ;;
    esac
    for part in "$head" "$tail"; do
        [ -n "$part" ] || continue
        [[ $part =~ ^[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4})*$ ]] || return 1
        IFS=: read -ra parts <<<"$part"
        groups=$((groups + ${#parts[@]}))
    done
    if [[ $s == *::* ]]; then
        [ $groups -le 7 ]
    else
        [ $groups -eq 8 ]
    fi
}

# is_dns S: 0 if S is a DNS host name: dot-separated labels of letters, digits
# and inner hyphens, 1-63 bytes each, 253 bytes in all, not all digits.
is_dns() {
    local label='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
    [ ${#1} -le 253 ] || return 1
    [[ $1 =~ ^$label(\.$label)*\.?$ ]] || return 1
    ! [[ $1 =~ ^[0-9.]+$ ]]
}

# -------------------------------------------------------------- the work
tmp=""
cleanup() {
    if [ -n "$tmp" ]; then
        rm -rf -- "$tmp"
    fi
}
trap cleanup EXIT

# run_openssl WHAT ARGS...: openssl ARGS, its chatter kept unless it fails.
run_openssl() {
    local what=$1
    shift
    if ! openssl "$@" >"$tmp/openssl.log" 2>&1; then
        say "openssl failed while $what:"
        sed 's/^/  /' "$tmp/openssl.log" >&2
        exit 1
    fi
}

# prepare_dir: creates DIR (0700) if needed and the private temporary directory.
prepare_dir() {
    if [ ! -d "$dir" ]; then
        [ ! -e "$dir" ] || die "$dir exists and is not a directory"
        # umask 077: every directory created is 0700.
        mkdir -p -- "$dir" || die "cannot create directory $dir"
    fi
    [ -w "$dir" ] || die "directory $dir is not writable"
    tmp=$(mktemp -d "$dir/.certs.XXXXXX") || die "cannot create a temporary directory in $dir"
}

# refuse_existing FILE...: fails unless --force when any FILE exists.
refuse_existing() {
    local f found=()
    for f in "$@"; do
        if [ -e "$dir/$f" ] || [ -L "$dir/$f" ]; then
            found+=("$dir/$f")
        fi
    done
    if [ ${#found[@]} -gt 0 ] && [ $force = 0 ]; then
        local verb=exists
        [ ${#found[@]} -eq 1 ] || verb=exist
        die "${found[*]} already $verb; nothing written (add --force to replace)"
    fi
}

# need_ca: fails unless DIR holds a CA certificate and key that match.
need_ca() {
    if [ ! -f "$dir/ca.crt" ] || [ ! -f "$dir/ca.key" ]; then
        die "no CA in $dir (ca.crt and ca.key): run '$prog $dir ca' first"
    fi
    [ -r "$dir/ca.key" ] || die "$dir/ca.key is not readable"
}

# new_key FILE: a fresh P-256 private key in FILE (mode 0600).
new_key() {
    run_openssl "generating a key" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1"
    chmod 0600 "$1"
}

# serial: a random positive 152-bit serial number.
serial() {
    printf '0x%s' "$(openssl rand -hex 19)"
}

# install NAME...: moves $tmp/NAME to $dir/NAME, keys 0600, certificates 0644.
install_files() {
    local f
    for f in "$@"; do
        case $f in
        *.key) chmod 0600 "$tmp/$f" ;;
        *) chmod 0644 "$tmp/$f" ;;
        esac
        mv -f -- "$tmp/$f" "$dir/$f"
    done
}

# report CRT: one line about the certificate written, no key material.
report() {
    local subject end fp
    subject=$(openssl x509 -in "$1" -noout -subject -nameopt RFC2253)
    end=$(openssl x509 -in "$1" -noout -enddate)
    fp=$(openssl x509 -in "$1" -noout -fingerprint -sha256)
    printf 'certs: wrote %s (%s, valid until %s, SHA-256 %s)\n' \
        "$1" "${subject#subject=}" "${end#notAfter=}" "${fp#*=}"
}

# sign NAME CN EKU SAN: key NAME.key and certificate NAME.crt for subject
# O=nhanluc, CN=CN with extendedKeyUsage EKU (serverAuth or clientAuth) and
# subjectAltName SAN, signed by the CA for $days days, checked against the CA
# (for that purpose) before anything is installed.
sign() {
    local name=$1 cn=$2 eku=$3 san=$4 purpose=sslclient
    [ "$eku" = serverAuth ] && purpose=sslserver
    if ! openssl x509 -in "$dir/ca.crt" -noout -checkend $((days * 86400)) >/dev/null; then
        die "the CA in $dir/ca.crt expires before the $days days asked for; make a new CA" \
            "or ask for fewer --days"
    fi
    write_config
    cat >>"$tmp/openssl.cnf" <<EOF
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = $eku
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $san
EOF
    new_key "$tmp/$name.key"
    run_openssl "making the certificate request" req -new -config "$tmp/openssl.cnf" \
        -key "$tmp/$name.key" -subj "/O=nhanluc/CN=$cn" -out "$tmp/$name.csr"
    run_openssl "signing $name.crt with the CA" x509 -req -in "$tmp/$name.csr" \
        -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -set_serial "$(serial)" -days "$days" \
        -sha256 -extfile "$tmp/openssl.cnf" -extensions leaf_ext -out "$tmp/$name.crt"
    if ! openssl verify -CAfile "$dir/ca.crt" -purpose "$purpose" "$tmp/$name.crt" \
        >"$tmp/openssl.log" 2>&1; then
        say "the new $name.crt does not verify against $dir/ca.crt" \
            "(does ca.key belong to ca.crt?); nothing written:"
        sed 's/^/  /' "$tmp/openssl.log" >&2
        exit 1
    fi
    rm -f -- "$tmp/$name.csr"
}

# write_config: our own openssl configuration, so that the system openssl.cnf
# adds nothing to the certificates.
write_config() {
    cat >"$tmp/openssl.cnf" <<EOF
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
}

case $cmd in
ca)
    [ ${#args[@]} -eq 0 ] || usage_error "ca takes no arguments (got '${args[0]}')"
    [ -z "$days" ] || usage_error "--days is for server and client; a CA is valid $CA_DAYS days"
    days=$CA_DAYS
    refuse_existing ca.key ca.crt
    prepare_dir
    write_config
    new_key "$tmp/ca.key"
    run_openssl "making the CA certificate" req -new -x509 -config "$tmp/openssl.cnf" \
        -extensions ca_ext -key "$tmp/ca.key" -subj "/O=nhanluc/CN=nhanluc private CA" \
        -set_serial "$(serial)" -days "$days" -sha256 -out "$tmp/ca.crt"
    run_openssl "checking the CA certificate" verify -CAfile "$tmp/ca.crt" "$tmp/ca.crt"
    if [ -e "$dir/ca.crt" ]; then
        say "replacing the CA (--force): certificates signed by the old one no longer verify"
    fi
    install_files ca.key ca.crt
    report "$dir/ca.crt"
    ;;
server)
    [ ${#args[@]} -ge 1 ] || usage_error "server needs at least one HOST (DNS name or IP address)"
    check_days $SERVER_MAX_DAYS $SERVER_MAX_DAYS
    san=""
    declare -A seen=()
    for host in "${args[@]}"; do
        # "[::1]" is accepted as ::1.
        if [[ $host =~ ^\[(.*)\]$ ]]; then
            host=${BASH_REMATCH[1]}
        fi
        if is_ipv4 "$host" || is_ipv6 "$host"; then
            entry="IP:$host"
        elif is_dns "$host"; then
            host=${host%.}
            entry="DNS:$host"
        else
            usage_error "HOST '$host' is neither a DNS name nor an IP address"
        fi
        [ -z "${seen[$entry]:-}" ] || continue
        seen[$entry]=1
        san="${san:+$san, }$entry"
    done
    cn=${args[0]}
    cn=${cn#[}
    cn=${cn%]}
    [ ${#cn} -le 64 ] || cn=nhanlucd
    need_ca
    refuse_existing server.key server.crt
    prepare_dir
    sign server "$cn" serverAuth "$san"
    install_files server.key server.crt
    report "$dir/server.crt"
    ;;
client)
    [ ${#args[@]} -ge 1 ] || usage_error "client needs a UNIT code"
    [ ${#args[@]} -eq 1 ] || usage_error "client takes one UNIT code (got ${#args[@]} arguments)"
    unit=${args[0]}
    if ! [[ $unit =~ ^[a-z0-9-]{1,64}$ ]]; then
        usage_error "unit code '$unit' is invalid: a unit code is 1-64 of [a-z0-9-]"
    fi
    check_days $CLIENT_MAX_DAYS 365
    need_ca
    refuse_existing "client-$unit.key" "client-$unit.crt"
    prepare_dir
    sign "client-$unit" "$unit" clientAuth "URI:urn:nhanluc:unit:$unit"
    install_files "client-$unit.key" "client-$unit.crt"
    report "$dir/client-$unit.crt"
    ;;
*)
    usage_error "unknown command '$cmd' (ca, server or client)"
    ;;
esac

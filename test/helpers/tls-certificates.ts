import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TestCertificates {
  /** The throwaway CA's certificate (PEM), for clients to trust. */
  ca: Buffer
  /** Files of the server certificate (for localhost and 127.0.0.1) and its key. */
  certFile: string
  keyFile: string
}

// One config for both certificates: a CA that may only sign, and a server
// certificate a TLS client accepts for https://localhost and https://127.0.0.1.
const opensslConfig = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = summa test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`

/**
 * A CA and a server certificate it signed, made with the openssl command line
 * into `dir`, valid for a day: what an operator hands the gateway, without a
 * real CA.
 */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  await writeFile(path.join(dir, 'openssl.cnf'), opensslConfig)
  // Run in `dir` with relative names: no path in the arguments to quote.
  const openssl = (args: string) => run('openssl', args.split(' '), { cwd: dir })
  const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
  await openssl(`req -x509 -config openssl.cnf -extensions ca ${newKey} -keyout ca.key -out ca.crt -days 1`)
  await issueCertificate(dir, 'tls', 'server', 'localhost')
  return {
    ca: await readFile(path.join(dir, 'ca.crt')),
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
  }
}

let serial = Date.now()

/**
 * One more certificate signed by the CA that createTestCertificates made in
 * `dir`: `NAME.crt` and `NAME.key`, for a server (localhost, 127.0.0.1) or a
 * client (mTLS), with a serial number of its own, which it returns.
 */
export async function issueCertificate(
  dir: string,
  name: string,
  kind: 'server' | 'client',
  commonName: string,
): Promise<{ certFile: string; keyFile: string; serial: bigint }> {
  const openssl = (args: string) => run('openssl', args.split(' '), { cwd: dir })
  serial += 1
  await openssl(
    `req -new -config openssl.cnf -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=${commonName} -keyout ${name}.key -out ${name}.csr`,
  )
  await openssl(
    `x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -set_serial ${serial} -days 1 ` +
      `-extfile openssl.cnf -extensions ${kind} -out ${name}.crt`,
  )
  return {
    certFile: path.join(dir, `${name}.crt`),
    keyFile: path.join(dir, `${name}.key`),
    serial: BigInt(serial),
  }
}

// TLS to a gRPC endpoint given as an IP address (GCP_KMS_ENDPOINT=10.0.0.5:443), on Node and on Bun.
// @grpc/grpc-js (1.14.7, channel-credentials.js getConnectionOptions) passes the target's host to
// tls.connect as `servername` even when it is an IP address, which RFC 6066 does not allow as a TLS
// server name. Node 24 only warns (DEP0123) and goes on; Bun 1.4.5 throws ERR_INVALID_ARG_VALUE
// ("Setting the TLS ServerName to an IP address is not permitted"), so no connection is ever made
// (checked 2026-12-01; Node itself plans the same error, nodejs/node#58533, and grpc's C core
// already sends no SNI for an IP, grpc/grpc#34878). Without `servername` both runtimes send no SNI
// and check the certificate against `host`, the same IP, as tls.checkServerIdentity does with it.
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type * as Grpc from '@grpc/grpc-js';

type GrpcModule = typeof Grpc;
type SecureConnector = ReturnType<Grpc.ChannelCredentials['_createSecureConnector']>;

/**
 * `credentials` (google-gax's, Google call credentials included), except that a TLS server name
 * which is an IP address is dropped. Everything else (roots, ciphers, identity check, call
 * credentials) is grpc-js's own: its connector is used as it is, with that one option removed.
 */
export function withoutIpServerName(
  grpc: GrpcModule,
  credentials: Grpc.ChannelCredentials,
): Grpc.ChannelCredentials {
  class WithoutIpServerName extends grpc.ChannelCredentials {
    _isSecure(): boolean {
      return credentials._isSecure();
    }
    _equals(other: Grpc.ChannelCredentials): boolean {
      return other === this;
    }
    _createSecureConnector(...args: Parameters<Grpc.ChannelCredentials['_createSecureConnector']>) {
      const connector = credentials._createSecureConnector(...args);
      // SecureConnectorImpl keeps the options it hands to tls.connect, one object per connector. If
      // a grpc-js upgrade moves them, say so here rather than fail on Bun with the error above.
      const tls = (connector as SecureConnector & { connectionOptions?: ConnectionOptions })
        .connectionOptions;
      if (credentials._isSecure() && !tls)
        throw new Error('@grpc/grpc-js: its secure connector no longer has connectionOptions');
      if (tls?.servername !== undefined && isIP(tls.servername)) delete tls.servername;
      return connector;
    }
  }
  return new WithoutIpServerName();
}

/**
 * The client option that makes every channel of a google-gax client use `withoutIpServerName`:
 * google-gax hands `grpc.channelFactoryOverride` (one of grpc-gcp's options) to grpc-js's Client,
 * which then builds its channel with it from the credentials google-gax made.
 */
export function ipTlsChannelOption(grpc: GrpcModule) {
  return {
    'grpc.channelFactoryOverride': (
      address: string,
      credentials: Grpc.ChannelCredentials,
      options: Grpc.ChannelOptions,
    ) => new grpc.Channel(address, withoutIpServerName(grpc, credentials), options),
  };
}

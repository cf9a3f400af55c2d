// Original file: proto/summa/v1/calculator.proto

import type { Long } from '@grpc/proto-loader';

export interface AddResponse {
  'requestId'?: (string);
  'sum'?: (number | string | Long);
  'replayed'?: (boolean);
  'acceptedAt'?: (string);
}

export interface AddResponse__Output {
  'requestId': (string);
  'sum': (string);
  'replayed': (boolean);
  'acceptedAt': (string);
}

// Original file: proto/summa/v1/calculator.proto

import type { Long } from '@grpc/proto-loader';

export interface AddRequest {
  'requestId'?: (string);
  'num1'?: (number | string | Long);
  'num2'?: (number | string | Long);
}

export interface AddRequest__Output {
  'requestId': (string);
  'num1': (string);
  'num2': (string);
}

// Original file: proto/compat/summation.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { SumTwoNumbersRequest as _summationPackage_SumTwoNumbersRequest, SumTwoNumbersRequest__Output as _summationPackage_SumTwoNumbersRequest__Output } from '../summationPackage/SumTwoNumbersRequest';
import type { SumTwoNumbersResponse as _summationPackage_SumTwoNumbersResponse, SumTwoNumbersResponse__Output as _summationPackage_SumTwoNumbersResponse__Output } from '../summationPackage/SumTwoNumbersResponse';

export interface SummationClient extends grpc.Client {
  sumTwoNumbers(argument: _summationPackage_SumTwoNumbersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_summationPackage_SumTwoNumbersResponse__Output>): grpc.ClientUnaryCall;
  sumTwoNumbers(argument: _summationPackage_SumTwoNumbersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_summationPackage_SumTwoNumbersResponse__Output>): grpc.ClientUnaryCall;
  sumTwoNumbers(argument: _summationPackage_SumTwoNumbersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_summationPackage_SumTwoNumbersResponse__Output>): grpc.ClientUnaryCall;
  sumTwoNumbers(argument: _summationPackage_SumTwoNumbersRequest, callback: grpc.requestCallback<_summationPackage_SumTwoNumbersResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SummationHandlers extends grpc.UntypedServiceImplementation {
  sumTwoNumbers: grpc.handleUnaryCall<_summationPackage_SumTwoNumbersRequest__Output, _summationPackage_SumTwoNumbersResponse>;
  
}

export interface SummationDefinition extends grpc.ServiceDefinition {
  sumTwoNumbers: MethodDefinition<_summationPackage_SumTwoNumbersRequest, _summationPackage_SumTwoNumbersResponse, _summationPackage_SumTwoNumbersRequest__Output, _summationPackage_SumTwoNumbersResponse__Output>
}

// Original file: proto/compat/sum_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { SumServiceAddRequest as _SumServiceAddRequest, SumServiceAddRequest__Output as _SumServiceAddRequest__Output } from './SumServiceAddRequest';
import type { SumServiceAddResponse as _SumServiceAddResponse, SumServiceAddResponse__Output as _SumServiceAddResponse__Output } from './SumServiceAddResponse';

export interface SumServiceClient extends grpc.Client {
  AddNumbers(argument: _SumServiceAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  AddNumbers(argument: _SumServiceAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  AddNumbers(argument: _SumServiceAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  AddNumbers(argument: _SumServiceAddRequest, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  addNumbers(argument: _SumServiceAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  addNumbers(argument: _SumServiceAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  addNumbers(argument: _SumServiceAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  addNumbers(argument: _SumServiceAddRequest, callback: grpc.requestCallback<_SumServiceAddResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface SumServiceHandlers extends grpc.UntypedServiceImplementation {
  AddNumbers: grpc.handleUnaryCall<_SumServiceAddRequest__Output, _SumServiceAddResponse>;
  
}

export interface SumServiceDefinition extends grpc.ServiceDefinition {
  AddNumbers: MethodDefinition<_SumServiceAddRequest, _SumServiceAddResponse, _SumServiceAddRequest__Output, _SumServiceAddResponse__Output>
}

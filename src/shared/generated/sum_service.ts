import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { SumServiceClient as _SumServiceClient, SumServiceDefinition as _SumServiceDefinition } from './SumService';
import type { SumServiceAddRequest as _SumServiceAddRequest, SumServiceAddRequest__Output as _SumServiceAddRequest__Output } from './SumServiceAddRequest';
import type { SumServiceAddResponse as _SumServiceAddResponse, SumServiceAddResponse__Output as _SumServiceAddResponse__Output } from './SumServiceAddResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  SumService: SubtypeConstructor<typeof grpc.Client, _SumServiceClient> & { service: _SumServiceDefinition }
  SumServiceAddRequest: MessageTypeDefinition<_SumServiceAddRequest, _SumServiceAddRequest__Output>
  SumServiceAddResponse: MessageTypeDefinition<_SumServiceAddResponse, _SumServiceAddResponse__Output>
}

